package dev.convoy.transforms.partition;

import dev.convoy.ir.graph.Graph;
import java.util.List;

/**
 * A graph cut into pieces along its execution order. Piece {@code i} is a standalone top-level
 * graph whose inputs are the original inputs it reads plus the boundary values earlier pieces
 * produce, and whose outputs are the values later pieces read plus the original outputs it
 * defines. {@link Boundary} lists those names per piece.
 */
public record Partition(List<Graph> pieces, List<Boundary> boundaries) {
  public Partition {
    pieces = List.copyOf(pieces);
    boundaries = List.copyOf(boundaries);
  }

  /** The values crossing into and out of one piece, by name, in the piece's input/output order. */
  public record Boundary(int piece, int firstNode, int endNode, List<String> inputs,
      List<String> outputs) {
    public Boundary {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  public int size() {
    return pieces.size();
  }
}

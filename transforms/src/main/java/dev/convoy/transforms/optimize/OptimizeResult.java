package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import java.util.List;

/**
 * The optimized graph, per-pass statistics in run order, notes for the report (ops left
 * unfolded, caps hit) and whether every rule set and repeat block settled within its cap.
 */
public record OptimizeResult(
    Graph graph, List<PassStat> stats, List<String> notes, boolean converged) {
  public OptimizeResult {
    stats = List.copyOf(stats);
    notes = List.copyOf(notes);
  }

  public OptimizeResult(Graph graph, List<PassStat> stats, List<String> notes) {
    this(graph, stats, notes, true);
  }
}

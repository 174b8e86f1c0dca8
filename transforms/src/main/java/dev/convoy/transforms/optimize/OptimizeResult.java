package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import java.util.List;

/** The optimized graph, per-pass statistics in run order, and notes for the report. */
public record OptimizeResult(Graph graph, List<PassStat> stats, List<String> notes) {
  public OptimizeResult {
    stats = List.copyOf(stats);
    notes = List.copyOf(notes);
  }
}

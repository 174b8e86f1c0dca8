package dev.convoy.pipeline.element;

import dev.convoy.transforms.optimize.PassStat;
import java.util.Map;
import java.util.TreeMap;

/**
 * One pass run on one model (or one piece of it, {@code piece} >= 0; the boundary pass after
 * stitching is piece -1): a {@code pass_stats} row.
 */
public record PassRow(String pass, int piece, long nanos, int nodesBefore, int nodesAfter,
    Map<String, Integer> rewrites) {
  public PassRow {
    rewrites = new TreeMap<>(rewrites);
  }

  public static PassRow of(PassStat s, int piece) {
    return new PassRow(s.pass(), piece, s.nanos(), s.nodesBefore(), s.nodesAfter(), s.rewrites());
  }

  public int totalRewrites() {
    return rewrites.values().stream().mapToInt(Integer::intValue).sum();
  }
}

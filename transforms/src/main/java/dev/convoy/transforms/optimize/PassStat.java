package dev.convoy.transforms.optimize;

import java.util.Map;

/** Instrumentation of one pass run: wall time, node counts before and after, rewrites per rule. */
public record PassStat(
    String pass, long nanos, int nodesBefore, int nodesAfter, Map<String, Integer> rewrites) {
  public PassStat {
    rewrites = Map.copyOf(rewrites);
  }
}

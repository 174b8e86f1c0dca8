package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.warehouse.Tables;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code convoy compare RUN_A RUN_B}: per-model deltas of run B against run A (optimized nodes,
 * artifact size, verification error, time, the result's latency), and the regressions beyond
 * {@link Thresholds}: the nightly-regression check.
 */
public final class Compare {
  private Compare() {}

  /**
   * One model in both runs (or in one: {@code status} then says why, e.g. "new in B"), with the
   * figures of A and B (NaN where unknown; latencies only when one runtime timed both), the
   * verification verdicts ({@code pass}, {@code drift}, {@code runtime-drift}, {@code FAIL}; "-"
   * where unknown) and the regressions found on it.
   */
  public record Delta(String model, String status, double nodesA, double nodesB, double bytesA,
      double bytesB, double errorA, double errorB, double timeMsA, double timeMsB,
      double latencyMsA, double latencyMsB, String verdictA, String verdictB,
      List<String> regressions) {
    public Delta {
      regressions = List.copyOf(regressions);
    }

    public boolean regressed() {
      return !regressions.isEmpty();
    }
  }

  /** The deltas of every model of either run, by name, and all regressions in that order. */
  public record Comparison(String runA, String runB, List<Delta> models) {
    public Comparison {
      models = List.copyOf(models);
    }

    public List<String> regressions() {
      return models.stream().flatMap(d -> d.regressions().stream()).toList();
    }
  }

  /**
   * Prints the comparison; returns 1 when {@code failOnRegression} and some model regressed,
   * else 0. {@code thresholdsConfig} {@code null} means the built-in defaults.
   */
  public static int print(Path warehouse, String runA, String runB, boolean failOnRegression,
      Path thresholdsConfig, PrintWriter out) {
    Comparison c = compute(warehouse, runA, runB, Thresholds.load(thresholdsConfig));
    out.printf("compare %s (A) -> %s (B)%n%n", runA, runB);
    out.printf("%-32s %20s %26s %24s %28s %20s %22s%n", "model", "nodes A->B", "bytes A->B",
        "max abs err A->B", "verdict A->B", "time ms A->B", "latency ms A->B");
    for (Delta d : c.models()) {
      if (!d.status().isEmpty()) {
        out.printf("%-32s %s%n", d.model(), d.status());
        continue;
      }
      out.printf("%-32s %20s %26s %24s %28s %20s %22s%n", d.model(),
          (long) d.nodesA() + "->" + (long) d.nodesB() + Report.pct(d.nodesA(), d.nodesB()),
          (long) d.bytesA() + "->" + (long) d.bytesB() + Report.pct(d.bytesA(), d.bytesB()),
          String.format("%.1e->%.1e", d.errorA(), d.errorB()),
          d.verdictA().equals(d.verdictB()) ? d.verdictB() : d.verdictA() + "->" + d.verdictB(),
          String.format("%.0f->%.0f", d.timeMsA(), d.timeMsB()),
          Double.isNaN(d.latencyMsA()) || Double.isNaN(d.latencyMsB()) ? "-"
              : String.format("%.2f->%.2f", d.latencyMsA(), d.latencyMsB())
                  + Report.pct(d.latencyMsA(), d.latencyMsB()));
    }
    List<Delta> drifted = c.models().stream()
        .filter(d -> d.status().isEmpty() && d.verdictB().contains("drift")).toList();
    if (!drifted.isEmpty()) {
      out.printf("%n%d model(s) verified with drift in B (accepted; convoy report %s explains):%n",
          drifted.size(), c.runB());
      drifted.forEach(d -> out.printf("  %-30s %s%n", d.model(), d.verdictB()));
    }
    List<String> regressions = c.regressions();
    out.println();
    if (regressions.isEmpty()) {
      out.println("no regressions");
    } else {
      out.printf("%d regression(s):%n", regressions.size());
      regressions.forEach(r -> out.println("  REGRESSION " + r));
    }
    out.flush();
    return failOnRegression && !regressions.isEmpty() ? 1 : 0;
  }

  /** Run B against run A under {@code th}. */
  public static Comparison compute(Path warehouse, String runA, String runB, Thresholds th) {
    try (WarehouseSql sql = new WarehouseSql(warehouse)) {
      Map<String, Map<String, Object>> a = models(sql, runA, warehouse);
      Map<String, Map<String, Object>> b = models(sql, runB, warehouse);
      Map<String, Map<String, Object>> failedB = Report.byModel(sql.query(
          "SELECT model, stage, error_class FROM " + sql.from(Tables.FAILURES)
              + " WHERE run_id = ?", runB));
      TreeSet<String> names = new TreeSet<>(a.keySet());
      names.addAll(b.keySet());
      List<Delta> deltas = new ArrayList<>();
      for (String m : names) {
        deltas.add(delta(m, a.get(m), b.get(m), failedB.get(m), th));
      }
      return new Comparison(runA, runB, deltas);
    }
  }

  private static Delta delta(String m, Map<String, Object> x, Map<String, Object> y,
      Map<String, Object> failed, Thresholds th) {
    double nan = Double.NaN;
    if (x == null) {
      return new Delta(m, "new in B", nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, "-", "-",
          List.of());
    }
    if (y == null) {
      String why = failed == null ? "missing from B"
          : "failed in B at " + failed.get("stage") + " (" + failed.get("error_class") + ")";
      return new Delta(m, why, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, "-", "-",
          List.of(m + ": " + why));
    }
    double nA = Report.num(x.get("nodes_after"));
    double nB = Report.num(y.get("nodes_after"));
    double sA = Report.num(x.get("artifact_bytes"));
    double sB = Report.num(y.get("artifact_bytes"));
    double eA = Report.num(x.get("max_abs_error"));
    double eB = Report.num(y.get("max_abs_error"));
    double tA = Report.num(x.get("total_nanos")) / 1e6;
    double tB = Report.num(y.get("total_nanos")) / 1e6;
    // Latencies compare only when the same runtime measured both (ORT for .onnx, the evaluator
    // for .cvy).
    boolean sameRuntime = x.get("runtime") != null && x.get("runtime").equals(y.get("runtime"));
    double lA = sameRuntime ? Report.num(x.get("result_ms")) : nan;
    double lB = sameRuntime ? Report.num(y.get("result_ms")) : nan;
    List<String> regressions = new ArrayList<>();
    if (growthPct(nA, nB) > th.nodesIncreasePct()) {
      regressions.add(String.format("%s: nodes %d -> %d (%+.1f%%, limit %.1f%%)", m,
          (long) nA, (long) nB, growthPct(nA, nB), th.nodesIncreasePct()));
    }
    if (sA > 0 && growthPct(sA, sB) > th.sizeIncreasePct()) {
      regressions.add(String.format("%s: artifact bytes %d -> %d (%+.1f%%, limit %.1f%%)", m,
          (long) sA, (long) sB, growthPct(sA, sB), th.sizeIncreasePct()));
    }
    if (Boolean.TRUE.equals(x.get("passed")) && Boolean.FALSE.equals(y.get("passed"))) {
      regressions.add(m + ": verification passed in A and fails in B");
    } else if (!Double.isNaN(eA) && !Double.isNaN(eB) && eB - eA > th.maxAbsErrorIncrease()) {
      regressions.add(String.format("%s: max abs error %.2e -> %.2e (limit +%.1e)", m, eA, eB,
          th.maxAbsErrorIncrease()));
    }
    if (tB - tA > th.timeMinDeltaMs() && growthPct(tA, tB) > th.timeIncreasePct()) {
      regressions.add(String.format("%s: time %.0f ms -> %.0f ms (%+.0f%%, limit %.0f%%)", m,
          tA, tB, growthPct(tA, tB), th.timeIncreasePct()));
    }
    if (lB - lA > th.latencyMinDeltaMs() && growthPct(lA, lB) > th.latencyIncreasePct()) {
      regressions.add(String.format("%s: latency %.2f ms -> %.2f ms (%+.0f%%, limit %.0f%%)",
          m, lA, lB, growthPct(lA, lB), th.latencyIncreasePct()));
    }
    return new Delta(m, "", nA, nB, sA, sB, eA, eB, tA, tB, lA, lB, verdictOf(x), verdictOf(y),
        regressions);
  }

  private static String verdictOf(Map<String, Object> row) {
    return row.get("passed") == null && row.get("verdict") == null ? "-" : Report.verdict(row);
  }

  private static double growthPct(double before, double after) {
    if (Double.isNaN(before) || Double.isNaN(after)) {
      return 0;
    }
    if (before == 0) {
      return after > 0 ? Double.POSITIVE_INFINITY : 0;
    }
    return (after - before) * 100 / before;
  }

  private static Map<String, Map<String, Object>> models(WarehouseSql sql, String runId,
      Path warehouse) {
    List<Map<String, Object>> rows = sql.query(
        "SELECT m.model, m.nodes_after, m.artifact_bytes, m.total_nanos, v.max_abs_error, v.passed,"
            + " v.verdict, l.runtime, l.result_ms FROM " + sql.from(Tables.MODELS) + " m LEFT JOIN "
            + sql.from(Tables.VERIFICATIONS) + " v ON v.run_id = m.run_id AND v.model = m.model"
            + " LEFT JOIN " + sql.from(Tables.LATENCIES)
            + " l ON l.run_id = m.run_id AND l.model = m.model WHERE m.run_id = ?", runId);
    List<Map<String, Object>> failed = sql.query(
        "SELECT model FROM " + sql.from(Tables.FAILURES) + " WHERE run_id = ?", runId);
    if (rows.isEmpty() && failed.isEmpty()) {
      throw new ConvoyException(warehouse + ": no run '" + runId + "' in the warehouse");
    }
    return Report.byModel(rows);
  }
}

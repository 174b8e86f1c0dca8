package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.warehouse.Tables;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code convoy compare RUN_A RUN_B}: per-model deltas of run B against run A (optimized nodes,
 * artifact size, verification error, time), and the regressions beyond {@link Thresholds}: the
 * nightly-regression check.
 */
public final class Compare {
  private Compare() {}

  /**
   * Prints the comparison; returns 1 when {@code failOnRegression} and some model regressed,
   * else 0. {@code thresholdsConfig} {@code null} means the built-in defaults.
   */
  public static int print(Path warehouse, String runA, String runB, boolean failOnRegression,
      Path thresholdsConfig, PrintStream out) {
    Thresholds th = Thresholds.load(thresholdsConfig);
    try (WarehouseSql sql = new WarehouseSql(warehouse)) {
      Map<String, Map<String, Object>> a = models(sql, runA, warehouse);
      Map<String, Map<String, Object>> b = models(sql, runB, warehouse);
      Map<String, Map<String, Object>> failedB = Report.byModel(sql.query(
          "SELECT model, stage, error_class FROM " + sql.from(Tables.FAILURES)
              + " WHERE run_id = ?", runB));
      List<String> regressions = new ArrayList<>();
      out.printf("compare %s (A) -> %s (B)%n%n", runA, runB);
      out.printf("%-32s %20s %26s %24s %20s%n", "model", "nodes A->B", "bytes A->B",
          "max abs err A->B", "time ms A->B");
      TreeSet<String> names = new TreeSet<>(a.keySet());
      names.addAll(b.keySet());
      for (String m : names) {
        Map<String, Object> x = a.get(m);
        Map<String, Object> y = b.get(m);
        if (x == null) {
          out.printf("%-32s new in B%n", m);
          continue;
        }
        if (y == null) {
          Map<String, Object> f = failedB.get(m);
          String why = f == null ? "missing from B"
              : "failed in B at " + f.get("stage") + " (" + f.get("error_class") + ")";
          out.printf("%-32s %s%n", m, why);
          regressions.add(m + ": " + why);
          continue;
        }
        double nA = Report.num(x.get("nodes_after"));
        double nB = Report.num(y.get("nodes_after"));
        double sA = Report.num(x.get("artifact_bytes"));
        double sB = Report.num(y.get("artifact_bytes"));
        double eA = Report.num(x.get("max_abs_error"));
        double eB = Report.num(y.get("max_abs_error"));
        double tA = Report.num(x.get("total_nanos")) / 1e6;
        double tB = Report.num(y.get("total_nanos")) / 1e6;
        out.printf("%-32s %20s %26s %24s %20s%n", m,
            (long) nA + "->" + (long) nB + Report.pct(nA, nB),
            (long) sA + "->" + (long) sB + Report.pct(sA, sB),
            String.format("%.1e->%.1e", eA, eB),
            String.format("%.0f->%.0f", tA, tB));
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
      }
      out.println();
      if (regressions.isEmpty()) {
        out.println("no regressions");
      } else {
        out.printf("%d regression(s):%n", regressions.size());
        regressions.forEach(r -> out.println("  REGRESSION " + r));
      }
      return failOnRegression && !regressions.isEmpty() ? 1 : 0;
    }
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
        "SELECT m.model, m.nodes_after, m.artifact_bytes, m.total_nanos, v.max_abs_error, v.passed"
            + " FROM " + sql.from(Tables.MODELS) + " m LEFT JOIN " + sql.from(Tables.VERIFICATIONS)
            + " v ON v.run_id = m.run_id AND v.model = m.model WHERE m.run_id = ?", runId);
    List<Map<String, Object>> failed = sql.query(
        "SELECT model FROM " + sql.from(Tables.FAILURES) + " WHERE run_id = ?", runId);
    if (rows.isEmpty() && failed.isEmpty()) {
      throw new ConvoyException(warehouse + ": no run '" + runId + "' in the warehouse");
    }
    return Report.byModel(rows);
  }
}

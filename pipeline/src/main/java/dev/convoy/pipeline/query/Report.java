package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.warehouse.Tables;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code convoy report}: one run from the warehouse, per model (nodes and size before and after,
 * verification verdict, time), each mismatch's first diverging node and culprit, its failures,
 * the impact figures (latency of original and result, memory, rules fired) and memory plans. The latest run when no id is given.
 */
public final class Report {
  private Report() {}

  /**
   * Prints run {@code runIdOrNull} (the latest when {@code null}) of {@code warehouse} to {@code
   * out}; returns 0. Throws {@link ConvoyException} when the warehouse or run does not exist.
   */
  public static int print(Path warehouse, String runIdOrNull, PrintWriter out) {
    try (WarehouseSql sql = new WarehouseSql(warehouse)) {
      String runId = runIdOrNull != null ? runIdOrNull : latestRun(sql, warehouse);
      List<Map<String, Object>> runs =
          sql.query("SELECT * FROM " + sql.from(Tables.RUNS) + " WHERE run_id = ?", runId);
      List<Map<String, Object>> models = sql.query(
          "SELECT model, format, nodes_before, nodes_after, source_bytes, artifact_bytes, pieces,"
              + " total_nanos FROM " + sql.from(Tables.MODELS) + " WHERE run_id = ? ORDER BY model",
          runId);
      List<Map<String, Object>> failures = sql.query(
          "SELECT model, stage, error_class, message FROM " + sql.from(Tables.FAILURES)
              + " WHERE run_id = ? ORDER BY model", runId);
      if (runs.isEmpty() && models.isEmpty() && failures.isEmpty()) {
        throw new ConvoyException(warehouse + ": no run '" + runId + "' in the warehouse");
      }
      header(out, runId, runs.isEmpty() ? null : runs.get(0), models.size(), failures.size());
      Map<String, Map<String, Object>> verify = byModel(sql.query(
          "SELECT model, passed, max_abs_error, cosine, verdict, first_node, culprit FROM "
              + sql.from(Tables.VERIFICATIONS) + " WHERE run_id = ?", runId));
      if (!verify.isEmpty()) {
        out.println("verification: " + verdictCounts(verify.values()));
      }
      if (!models.isEmpty()) {
        out.printf("%n%-32s %-6s %18s %22s %6s %-20s %9s%n", "model", "format", "nodes before->after",
            "bytes before->after", "pieces", "verification", "time ms");
        for (Map<String, Object> m : models) {
          String name = (String) m.get("model");
          out.printf("%-32s %-6s %18s %22s %6s %-20s %9.0f%n", name, m.get("format"),
              m.get("nodes_before") + "->" + m.get("nodes_after") + pct(
                  num(m.get("nodes_before")), num(m.get("nodes_after"))),
              m.get("source_bytes") + "->" + m.get("artifact_bytes"), m.get("pieces"),
              verification(verify.get(name)), num(m.get("total_nanos")) / 1e6);
        }
      }
      List<Map<String, Object>> explained = verify.values().stream()
          .filter(v -> v.get("first_node") != null && !((String) v.get("first_node")).isEmpty())
          .sorted(java.util.Comparator.comparing(v -> (String) v.get("model"))).toList();
      if (!explained.isEmpty()) {
        out.printf("%nverification mismatches explained (%d):%n", explained.size());
        for (Map<String, Object> v : explained) {
          out.printf("  %-30s %-13s %s%n", v.get("model"), verdict(v), v.get("first_node"));
          Object culprit = v.get("culprit");
          if (culprit != null && !culprit.toString().isEmpty()) {
            out.printf("  %-30s %-13s %s%n", "", "", culprit);
          }
        }
      }
      if (!failures.isEmpty()) {
        out.printf("%nfailures (%d):%n", failures.size());
        for (Map<String, Object> f : failures) {
          out.printf("  %-30s %-12s %-28s %s%n", f.get("model"), f.get("stage"),
              f.get("error_class"), oneLine((String) f.get("message")));
        }
      }
      impact(sql, runId, out);
      memoryPlans(sql, runId, out);
      out.flush();
      return 0;
    }
  }

  /**
   * Each model's arena plan: LOAD (the most bytes alive at one step, which no plan beats), the
   * arena and its ratio to LOAD, the planner whose plan was kept, the outputs written in place
   * and aliased, the naive sum of intermediates and how many were left out (dynamic shapes).
   */
  private static void memoryPlans(WarehouseSql sql, String runId, PrintWriter out) {
    List<Map<String, Object>> plans = sql.query(
        "SELECT model, lower_bound_bytes, arena_bytes, planner, in_place_tensors,"
            + " aliased_tensors, naive_bytes, skipped_tensors FROM "
            + sql.from(Tables.MEMORY_PLANS) + " WHERE run_id = ? ORDER BY model", runId);
    if (plans.isEmpty()) {
      return;
    }
    out.printf("%nmemory plans:%n  %-30s %14s %14s %11s %-18s %8s %7s %14s %7s%n", "model",
        "LOAD", "arena", "arena/LOAD", "planner", "in-place", "aliased", "naive sum", "skipped");
    for (Map<String, Object> p : plans) {
      long load = num(p.get("lower_bound_bytes")).longValue();
      long arena = num(p.get("arena_bytes")).longValue();
      out.printf("  %-30s %14d %14d %11s %-18s %8s %7s %14s %7s%n", p.get("model"), load, arena,
          load == 0 ? "-" : String.format("%.3f", (double) arena / load), p.get("planner"),
          p.get("in_place_tensors"), p.get("aliased_tensors"), p.get("naive_bytes"),
          p.get("skipped_tensors"));
    }
  }

  /** Latency of original and result, memory, and the rules that fired (when measured). */
  private static void impact(WarehouseSql sql, String runId, PrintWriter out) {
    List<Map<String, Object>> lat = sql.query(
        "SELECT model, runtime, runs, original_ms, result_ms, speedup, load_bytes, arena_bytes,"
            + " artifact_bytes FROM " + sql.from(Tables.LATENCIES)
            + " WHERE run_id = ? ORDER BY model", runId);
    if (!lat.isEmpty()) {
      out.printf("%nimpact (median latency after warm-up; memory the result needs):%n"
          + "  %-30s %-7s %5s %24s %8s %14s %14s %14s%n", "model", "runtime", "runs",
          "latency ms orig->result", "speedup", "load bytes", "arena bytes", "artifact bytes");
      for (Map<String, Object> l : lat) {
        long arena = num(l.get("arena_bytes")).longValue();
        out.printf("  %-30s %-7s %5s %24s %7.2fx %14s %14s %14s%n", l.get("model"),
            l.get("runtime"), l.get("runs"),
            String.format("%.2f->%.2f", num(l.get("original_ms")), num(l.get("result_ms"))),
            num(l.get("speedup")), l.get("load_bytes"), arena < 0 ? "-" : arena,
            l.get("artifact_bytes"));
      }
    }
    List<Map<String, Object>> rules = sql.query(
        "SELECT rule, sum(rewrites) AS rewrites, count(*) AS models FROM "
            + sql.from(Tables.RULE_STATS) + " WHERE run_id = ? GROUP BY rule"
            + " ORDER BY rewrites DESC, rule", runId);
    if (!rules.isEmpty()) {
      out.printf("%nrules fired:%n  %-34s %10s %8s%n", "rule or pass", "rewrites", "models");
      for (Map<String, Object> r : rules) {
        out.printf("  %-34s %10s %8s%n", r.get("rule"), r.get("rewrites"), r.get("models"));
      }
    }
  }

  static String latestRun(WarehouseSql sql, Path warehouse) {
    List<Map<String, Object>> r = sql.query("SELECT run_id FROM " + sql.from(Tables.RUNS)
        + " ORDER BY started_at_ms DESC, run_id DESC LIMIT 1");
    if (r.isEmpty()) {
      throw new ConvoyException(warehouse + ": the warehouse has no runs yet");
    }
    return (String) r.get(0).get("run_id");
  }

  private static void header(PrintWriter out, String runId, Map<String, Object> run, int ok,
      int failed) {
    if (run == null) {
      out.printf("run %s (no runs row: the run did not finish)%n", runId);
    } else {
      long start = num(run.get("started_at_ms")).longValue();
      long end = num(run.get("ended_at_ms")).longValue();
      out.printf("run %s: %s level %s -> %s, %s runner (parallelism %s), git %s%n", runId,
          run.get("zoo"), run.get("level"), run.get("target"), run.get("runner"),
          run.get("parallelism"), run.get("git_revision"));
      out.printf("started %s, took %.1f s%n", Instant.ofEpochMilli(start), (end - start) / 1e3);
    }
    out.printf("models: %d ok, %d failed%n", ok, failed);
  }

  static Map<String, Map<String, Object>> byModel(List<Map<String, Object>> rows) {
    var out = new java.util.HashMap<String, Map<String, Object>>();
    for (Map<String, Object> r : rows) {
      out.put((String) r.get("model"), r);
    }
    return out;
  }

  private static String verification(Map<String, Object> v) {
    if (v == null) {
      return "-";
    }
    return verdict(v) + String.format(" %.1e", num(v.get("max_abs_error")));
  }

  /**
   * A row's verdict as shown ({@code FAIL} in capitals); rows written before verdicts were
   * recorded say pass or fail by {@code passed}.
   */
  static String verdict(Map<String, Object> v) {
    String verdict = (String) v.get("verdict");
    if (verdict == null || verdict.isEmpty()) {
      verdict = Boolean.TRUE.equals(v.get("passed")) ? "pass" : "fail";
    }
    return verdict.equals("fail") ? "FAIL" : verdict;
  }

  /** How many rows have each verdict, in the order pass, drift, runtime-drift, FAIL, others. */
  static String verdictCounts(java.util.Collection<Map<String, Object>> rows) {
    Map<String, Integer> counts = new java.util.LinkedHashMap<>();
    for (String known : List.of("pass", "drift", "runtime-drift", "FAIL")) {
      counts.put(known, 0);
    }
    for (Map<String, Object> v : rows) {
      counts.merge(verdict(v), 1, Integer::sum);
    }
    return String.join(", ", counts.entrySet().stream()
        .map(e -> e.getValue() + " " + e.getKey()).toList());
  }

  static Double num(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  static String pct(double before, double after) {
    if (before == 0 || Double.isNaN(before) || Double.isNaN(after)) {
      return "";
    }
    return String.format(" (%+.1f%%)", (after - before) * 100 / before);
  }

  static String oneLine(String s) {
    String t = s == null ? "" : s.replace('\n', ' ');
    return t.length() > 160 ? t.substring(0, 157) + "..." : t;
  }
}

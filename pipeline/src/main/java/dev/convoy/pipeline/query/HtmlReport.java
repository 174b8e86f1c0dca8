package dev.convoy.pipeline.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.warehouse.Tables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * {@code report --html} and {@code compare --html}: the same facts as the console forms on one
 * self-contained page ({@link HtmlPage}), with charts where a person would rather look than read:
 * nodes and latency before and after per model, a scatter of node change against latency change,
 * the rules that fired; for a comparison, the run-to-run deltas with regressions highlighted.
 */
public final class HtmlReport {
  private HtmlReport() {}

  /** Writes run {@code runIdOrNull} (the latest when null) of {@code warehouse} to {@code file}. */
  public static void report(Path warehouse, String runIdOrNull, Path file) {
    try (WarehouseSql sql = new WarehouseSql(warehouse)) {
      String runId = runIdOrNull != null ? runIdOrNull : Report.latestRun(sql, warehouse);
      List<Map<String, Object>> models = sql.query(
          "SELECT m.model, m.nodes_before, m.nodes_after, m.source_bytes, m.artifact_bytes,"
              + " m.total_nanos / 1e6 AS time_ms, v.verdict, v.passed, v.max_abs_error,"
              + " v.first_node, v.culprit, v.detail, l.runtime, l.original_ms, l.result_ms,"
              + " l.load_bytes, l.arena_bytes FROM " + sql.from(Tables.MODELS) + " m LEFT JOIN "
              + sql.from(Tables.VERIFICATIONS) + " v ON v.run_id = m.run_id AND v.model = m.model"
              + " LEFT JOIN " + sql.from(Tables.LATENCIES)
              + " l ON l.run_id = m.run_id AND l.model = m.model WHERE m.run_id = ?"
              + " ORDER BY m.model", runId);
      List<Map<String, Object>> failures = sql.query("SELECT model, stage, error_class, message"
          + " FROM " + sql.from(Tables.FAILURES) + " WHERE run_id = ? ORDER BY model", runId);
      if (models.isEmpty() && failures.isEmpty()) {
        throw new ConvoyException(warehouse + ": no run '" + runId + "' in the warehouse");
      }
      List<Map<String, Object>> rules = sql.query("SELECT rule, sum(rewrites) AS rewrites,"
          + " count(*) AS models FROM " + sql.from(Tables.RULE_STATS)
          + " WHERE run_id = ? GROUP BY rule ORDER BY rewrites DESC, rule", runId);
      List<Map<String, Object>> passes = sql.query("SELECT model, pass, sum(nodes_before -"
          + " nodes_after) AS removed, sum(rewrites) AS rewrites FROM "
          + sql.from(Tables.PASS_STATS) + " WHERE run_id = ? GROUP BY model, pass"
          + " HAVING sum(rewrites) > 0 ORDER BY model, pass", runId);

      HtmlPage page = new HtmlPage("Convoy run " + runId);
      page.paragraph(models.size() + " models converted, " + failures.size() + " failed.");
      page.heading("Models");
      List<List<Object>> rows = new ArrayList<>();
      List<Boolean> bad = new ArrayList<>();
      for (Map<String, Object> m : models) {
        rows.add(List.of(m.get("model"), num(m.get("nodes_before")), num(m.get("nodes_after")),
            num(m.get("source_bytes")), num(m.get("artifact_bytes")), verdict(m),
            num(m.get("max_abs_error")), text(m.get("runtime")), num(m.get("original_ms")),
            num(m.get("result_ms")), num(m.get("load_bytes")), arena(m.get("arena_bytes")),
            num(m.get("time_ms"))));
        bad.add("fail".equals(verdict(m)));
      }
      page.table(List.of("model", "nodes before", "nodes after", "bytes before", "bytes after",
          "verification", "max abs error", "runtime", "latency original ms", "latency result ms",
          "load bytes", "arena bytes", "pipeline ms"), rows, bad);
      charts(page, models);
      page.heading("Rules and passes that fired");
      List<Map<String, Object>> ruleBars = HtmlPage.rows();
      rules.forEach(r -> ruleBars.add(Map.of("rule", r.get("rule"), "rewrites", r.get("rewrites"))));
      page.chart("Rewrites per rule or pass over all models", ruleBars,
          bars("rule", "rewrites", null, "Rewrites"));
      page.table(List.of("model", "pass", "nodes removed", "rewrites"),
          passes.stream().map(p -> List.<Object>of(p.get("model"), p.get("pass"),
              num(p.get("removed")), num(p.get("rewrites")))).toList(),
          Collections.nCopies(passes.size(), false));
      page.heading("Verification mismatches");
      List<Map<String, Object>> mismatched = models.stream()
          .filter(m -> m.get("verdict") != null && !"pass".equals(verdict(m))).toList();
      page.table(List.of("model", "verdict", "output", "first diverging node", "culprit"),
          mismatched.stream().map(m -> List.<Object>of(m.get("model"), verdict(m),
              text(m.get("detail")), text(m.get("first_node")), text(m.get("culprit")))).toList(),
          mismatched.stream().map(m -> "fail".equals(verdict(m))).toList());
      failures(page, failures);
      page.write(file);
    }
  }

  /** Writes run B against run A, regressions under {@code th} highlighted, to {@code file}. */
  public static void compare(Path warehouse, String runA, String runB, Thresholds th, Path file) {
    Compare.Comparison c = Compare.compute(warehouse, runA, runB, th);
    HtmlPage page = new HtmlPage("Convoy compare " + runA + " (A) -> " + runB + " (B)");
    List<String> regressions = c.regressions();
    page.paragraph(regressions.isEmpty() ? "No regressions."
        : regressions.size() + " regression(s), highlighted below.");
    page.heading("Per-model deltas");
    List<List<Object>> rows = new ArrayList<>();
    for (Compare.Delta d : c.models()) {
      rows.add(List.of(d.model(), d.status().isEmpty() ? "in both" : d.status(), d.nodesA(),
          d.nodesB(), d.bytesA(), d.bytesB(), d.errorA(), d.errorB(), d.verdictA(), d.verdictB(),
          d.latencyMsA(), d.latencyMsB(), d.timeMsA(), d.timeMsB()));
    }
    page.table(List.of("model", "status", "nodes A", "nodes B", "bytes A", "bytes B",
        "max abs error A", "max abs error B", "verdict A", "verdict B", "latency ms A",
        "latency ms B", "pipeline ms A",
        "pipeline ms B"), rows, c.models().stream().map(Compare.Delta::regressed).toList());
    List<Map<String, Object>> latency = HtmlPage.rows();
    List<Map<String, Object>> nodes = HtmlPage.rows();
    List<Map<String, Object>> scatter = HtmlPage.rows();
    for (Compare.Delta d : c.models()) {
      String status = d.regressed() ? "regressed" : "ok";
      if (!Double.isNaN(d.latencyMsA()) && !Double.isNaN(d.latencyMsB())) {
        latency.add(Map.of("model", d.model(), "change %", pct(d.latencyMsA(), d.latencyMsB()),
            "status", status));
      }
      if (d.status().isEmpty()) {
        nodes.add(Map.of("model", d.model(), "run", "A", "nodes", d.nodesA()));
        nodes.add(Map.of("model", d.model(), "run", "B", "nodes", d.nodesB()));
        if (!Double.isNaN(d.latencyMsA()) && !Double.isNaN(d.latencyMsB())) {
          scatter.add(Map.of("model", d.model(), "node change %", pct(d.nodesA(), d.nodesB()),
              "latency change %", pct(d.latencyMsA(), d.latencyMsB()), "status", status));
        }
      }
    }
    ObjectNode latencySpec = bars("model", "change %", null, "Latency change B vs A (%)");
    latencySpec.with("encoding").putObject("color").put("field", "status").put("type", "nominal")
        .putObject("scale").putArray("range").add("#4c78a8").add("#e45756");
    latencySpec.with("encoding").with("color").with("scale").putArray("domain").add("ok")
        .add("regressed");
    page.chart("Result latency of B against A, per model (red: regressed)", latency, latencySpec);
    page.chart("Optimized node count in A and B, per model", nodes,
        bars("model", "nodes", "run", "Nodes"));
    page.chart("Node change against latency change, B vs A", scatter,
        scatter("node change %", "latency change %", "status"));
    page.heading("Regressions");
    page.table(List.of("regression"), regressions.stream().map(r -> List.<Object>of(r)).toList(),
        Collections.nCopies(regressions.size(), true));
    page.write(file);
  }

  private static void charts(HtmlPage page, List<Map<String, Object>> models) {
    List<Map<String, Object>> nodes = HtmlPage.rows();
    List<Map<String, Object>> latency = HtmlPage.rows();
    List<Map<String, Object>> scatter = HtmlPage.rows();
    for (Map<String, Object> m : models) {
      String name = (String) m.get("model");
      double nb = num(m.get("nodes_before"));
      double na = num(m.get("nodes_after"));
      nodes.add(Map.of("model", name, "graph", "original", "nodes", nb));
      nodes.add(Map.of("model", name, "graph", "optimized", "nodes", na));
      double lo = num(m.get("original_ms"));
      double lr = num(m.get("result_ms"));
      if (!Double.isNaN(lo) && !Double.isNaN(lr)) {
        latency.add(Map.of("model", name, "graph", "original", "ms", lo));
        latency.add(Map.of("model", name, "graph", "optimized", "ms", lr));
        scatter.add(Map.of("model", name, "node change %", pct(nb, na), "latency change %",
            pct(lo, lr), "verdict", verdict(m)));
      }
    }
    page.chart("Nodes of the original and the optimized graph, per model", nodes,
        bars("model", "nodes", "graph", "Nodes"));
    page.chart("Median latency of the original and the optimized model, per model", latency,
        bars("model", "ms", "graph", "Latency (ms)"));
    page.chart("Node change against latency change, per model", scatter,
        scatter("node change %", "latency change %", "verdict"));
  }

  private static void failures(HtmlPage page, List<Map<String, Object>> failures) {
    page.heading("Failures");
    page.table(List.of("model", "stage", "error", "message"),
        failures.stream().map(f -> List.<Object>of(f.get("model"), f.get("stage"),
            f.get("error_class"), text(f.get("message")))).toList(),
        Collections.nCopies(failures.size(), true));
  }

  /** Bars of {@code y} per {@code x}, side by side per {@code group} when given. */
  private static ObjectNode bars(String x, String y, String group, String yTitle) {
    ObjectNode spec = HtmlPage.spec();
    spec.putObject("mark").put("type", "bar").put("tooltip", true);
    ObjectNode enc = spec.putObject("encoding");
    enc.putObject("x").put("field", x).put("type", "nominal").put("sort", "-y")
        .putObject("axis").put("labelAngle", -30);
    enc.putObject("y").put("field", y).put("type", "quantitative").put("title", yTitle);
    if (group != null) {
      enc.putObject("xOffset").put("field", group);
      enc.putObject("color").put("field", group).put("type", "nominal");
    }
    return spec;
  }

  private static ObjectNode scatter(String x, String y, String color) {
    ObjectNode spec = HtmlPage.spec();
    spec.putObject("mark").put("type", "point").put("filled", true).put("size", 80)
        .put("tooltip", true);
    ObjectNode enc = spec.putObject("encoding");
    enc.putObject("x").put("field", x).put("type", "quantitative");
    enc.putObject("y").put("field", y).put("type", "quantitative");
    enc.putObject("color").put("field", color).put("type", "nominal");
    enc.putArray("tooltip").addObject().put("field", "model").put("type", "nominal");
    return spec;
  }

  private static String verdict(Map<String, Object> m) {
    Object v = m.get("verdict");
    if (v != null && !((String) v).isEmpty()) {
      return (String) v;
    }
    Object passed = m.get("passed");
    return passed == null ? "-" : Boolean.TRUE.equals(passed) ? "pass" : "fail";
  }

  private static double pct(double before, double after) {
    return before == 0 ? 0 : Math.round((after - before) * 1000 / before) / 10.0;
  }

  private static double num(Object o) {
    return Report.num(o);
  }

  private static Object arena(Object o) {
    return o == null || num(o) < 0 ? "-" : num(o);
  }

  private static String text(Object o) {
    return o == null ? "" : o.toString();
  }
}

package dev.convoy.pipeline.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One self-contained HTML page: headings, tables and Vega-Lite charts, with Vega, Vega-Lite and
 * vega-embed inlined (their UMD builds, copied from npm into the classpath at build time), so the
 * page needs no network when viewed. Every chart's container gets {@code data-rendered="1"} once
 * vega-embed has drawn it, and the body {@code data-charts="rendered"} when all are; script
 * errors are counted into the body's {@code data-errors}: what a headless browser checks.
 */
final class HtmlPage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VEGA = "/dev/convoy/pipeline/query/vega/";
  private static final List<String> SCRIPTS = List.of(
      "vega/build/vega.min.js", "vega-lite/build/vega-lite.min.js",
      "vega-embed/build/vega-embed.min.js");

  private final String title;
  private final StringBuilder body = new StringBuilder();
  private final ArrayNode charts = JSON.createArrayNode();

  HtmlPage(String title) {
    this.title = title;
    body.append("<h1>").append(esc(title)).append("</h1>\n");
  }

  HtmlPage heading(String text) {
    body.append("<h2>").append(esc(text)).append("</h2>\n");
    return this;
  }

  HtmlPage paragraph(String text) {
    body.append("<p>").append(esc(text)).append("</p>\n");
    return this;
  }

  /**
   * A table; a row whose {@code highlight} entry is true is marked as a regression. Cells are
   * the row's values for {@code columns}, in order.
   */
  HtmlPage table(List<String> columns, List<List<Object>> rows, List<Boolean> highlight) {
    if (rows.isEmpty()) {
      body.append("<p class=\"none\">none</p>\n");
      return this;
    }
    body.append("<table><thead><tr>");
    columns.forEach(c -> body.append("<th>").append(esc(c)).append("</th>"));
    body.append("</tr></thead><tbody>\n");
    for (int i = 0; i < rows.size(); i++) {
      body.append(highlight.get(i) ? "<tr class=\"regressed\">" : "<tr>");
      for (Object cell : rows.get(i)) {
        boolean number = cell instanceof Number;
        body.append(number ? "<td class=\"num\">" : "<td>").append(esc(cell(cell)))
            .append("</td>");
      }
      body.append("</tr>\n");
    }
    body.append("</tbody></table>\n");
    return this;
  }

  /** A Vega-Lite chart of {@code values} (rows of named fields) drawn by {@code spec}. */
  HtmlPage chart(String caption, List<Map<String, Object>> values, ObjectNode spec) {
    if (values.isEmpty()) {
      return this;
    }
    String id = "chart" + charts.size();
    spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
    spec.putObject("data").set("values", JSON.valueToTree(values));
    spec.put("width", "container");
    ObjectNode c = charts.addObject();
    c.put("id", id);
    c.set("spec", spec);
    body.append("<figure><div class=\"chart\" id=\"").append(id).append("\"></div><figcaption>")
        .append(esc(caption)).append("</figcaption></figure>\n");
    return this;
  }

  int chartCount() {
    return charts.size();
  }

  void write(Path file) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>")
        .append(esc(title)).append("</title>\n<style>").append(CSS).append("</style>\n")
        // Installed before the libraries so that an error while they load is counted too.
        .append("<script>window.__errors = 0; function __fail(m) { window.__errors++;"
            + " document.documentElement.dataset.errors = window.__errors;"
            + " (document.getElementById('errors') || {}).textContent += m + '\\n'; }"
            + " window.addEventListener('error', e => __fail(String(e.message)));"
            + " window.addEventListener('unhandledrejection', e => __fail(String(e.reason)));"
            + "</script>\n");
    for (String s : SCRIPTS) {
      html.append("<script>").append(script(s)).append("</script>\n");
    }
    html.append("</head><body>\n").append(body).append("<pre id=\"errors\"></pre>\n<script>\n")
        .append("const charts = ").append(inlineJson(charts)).append(";\n")
        .append("Promise.all(charts.map(c => vegaEmbed('#' + c.id, c.spec,"
            + " {renderer: 'svg', actions: false})"
            + ".then(() => { document.getElementById(c.id).dataset.rendered = '1'; })))\n"
            + "  .then(() => { document.body.dataset.charts = 'rendered'; }, e => __fail(String(e)));\n")
        .append("</script>\n</body></html>\n");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, html, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot write the HTML report (" + e.getMessage() + ")", e);
    }
  }

  /** A library's code, without its source-map comment (the page carries no map files). */
  private static String script(String name) {
    try (InputStream in = HtmlPage.class.getResourceAsStream(VEGA + name)) {
      if (in == null) {
        throw new IllegalStateException("chart library " + name + " is missing from the classpath"
            + " (the build copies it from pipeline/src/main/vega/node_modules: run npm ci there)");
      }
      String code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return code.replaceAll("//# sourceMappingURL=\\S+", "").replace("</script", "<\\/script");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String inlineJson(Object o) {
    try {
      return JSON.writeValueAsString(o).replace("</", "<\\/");
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String cell(Object o) {
    if (o == null) {
      return "";
    }
    if (o instanceof Double d) {
      if (d.isNaN()) {
        return "-";
      }
      double a = Math.abs(d);
      if (d == Math.rint(d) && a < 1e15) {
        return String.format("%d", d.longValue());
      }
      return a != 0 && (a < 1e-2 || a >= 1e7) ? String.format("%.2e", d) : String.format("%.2f", d);
    }
    return o.toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** A fresh Vega-Lite spec object. */
  static ObjectNode spec() {
    return JSON.createObjectNode();
  }

  /** Rows of named values for a chart. */
  static List<Map<String, Object>> rows() {
    return new ArrayList<>();
  }

  private static final String CSS = "body{font-family:sans-serif;margin:2em;max-width:1200px}"
      + "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
      + "th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}"
      + "td.num{text-align:right;font-variant-numeric:tabular-nums}"
      + "tr.regressed td{background:#fdd;font-weight:bold}"
      + "figure{margin:0 0 1.5em}.chart{width:100%}figcaption{color:#555;font-size:13px}"
      + "#errors:empty{display:none}#errors{color:#b00}.none{color:#777}";
}

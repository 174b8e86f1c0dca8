package dev.convoy.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.query.Report;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.testing.BreakOneRelu;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run with a deliberately wrong test-only rule switched on ({@code run --enable}): on three dev
 * models, each {@code verifications} row fails and names the node the rule broke (the one it
 * marked in the graph's metadata) and the rule, {@code report} shows both, and the run exits 1.
 */
class ExplainedMismatchRunTest {
  private static final List<String> MODELS =
      List.of("optest_conv_bn_relu", "squeezenet1_1", "super_resolution");

  @TempDir Path tmp;

  @Test
  void aBrokenRuleIsLocalizedToItsNodeAndRuleInTheWarehouse() throws Exception {
    Path zoo = Runs.devZoo(tmp.resolve("zoo"), MODELS);
    RunConfig cfg = RunConfig.of(zoo, tmp.resolve("out")).withRunId("broken")
        .withLevel(Level.O1).withTarget("onnx")
        .withRules(Set.of(BreakOneRelu.NAME), Set.of());
    RunSummary s = Runs.direct(cfg);
    assertEquals(1, s.exitCode());

    List<String[]> rows = query(s.warehouse(), "SELECT v.model, v.verdict, v.first_node, v.culprit,"
        + " m.artifact FROM read_parquet('%1$s/verifications/*/*.parquet') v"
        + " JOIN read_parquet('%1$s/models/*/*.parquet') m USING (model) ORDER BY v.model", 5);
    assertEquals(MODELS, rows.stream().map(r -> r[0]).toList());
    for (String[] r : rows) {
      String broken = Models.load(s.artifacts().resolve(r[4])).metadata().get(BreakOneRelu.MARK);
      assertNotNull(broken, r[0] + ": the rule marks the output it broke");
      assertEquals("fail", r[1], r[0]);
      assertTrue(r[2].startsWith("first diverging node '") && r[2].contains("(LeakyRelu, inputs ")
          && r[2].contains("(standing for " + broken + ")"), r[0] + ": " + r[2]);
      assertTrue(r[3].startsWith("rule '" + BreakOneRelu.NAME + "' (in pass 'basic')"),
          r[0] + ": " + r[3]);
    }

    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Report.print(s.warehouse(), "broken", new PrintWriter(text, true));
    String report = text.toString();
    assertTrue(report.contains("verification mismatches explained (3):"), report);
    for (String[] r : rows) {
      assertTrue(report.contains(r[2]) && report.contains(r[3]), report);
    }
  }

  private static List<String[]> query(Path warehouse, String sql, int columns) throws Exception {
    List<String[]> out = new ArrayList<>();
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var st = c.createStatement();
        ResultSet rs = st.executeQuery(String.format(sql, warehouse))) {
      while (rs.next()) {
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
          row[i] = rs.getString(i + 1);
        }
        out.add(row);
      }
    }
    return out;
  }
}

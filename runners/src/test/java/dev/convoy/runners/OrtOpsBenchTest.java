package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench --suite ORT_OPS}: every fused standard op it times computes in ONNX Runtime what the
 * chain it is timed against computes, so each ratio compares two ways to the same result.
 */
class OrtOpsBenchTest {
  @Test
  void everyFusedOpMatchesItsChainInOnnxRuntime() {
    var r = CliTest.run("bench", "--suite", "ORT_OPS", "--reps", "1", "--warmup", "0");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    List<String[]> rows = r.out().lines()
        .filter(l -> l.startsWith("| ") && !l.startsWith("| op "))
        .map(l -> l.split("\\|")).toList();
    assertEquals(21, rows.size(), r.out());
    for (String[] cells : rows) {
      assertEquals("yes", cells[6].trim(), String.join("|", cells));
    }
  }
}

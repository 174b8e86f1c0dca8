package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.testing.BreakOneRelu;
import dev.convoy.transforms.testing.NanOneRelu;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code optimize --verify} explains a mismatch: a deliberately wrong test-only rule that breaks
 * one Relu is named, with the node it broke (the one it marked in the graph's metadata), in the
 * console line and the JSON report, and the exit code is 1.
 */
class VerifyExplainsCliTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"optest_conv_bn_relu", "squeezenet1_1", "super_resolution"})
  void aBrokenRuleIsLocalizedToItsNodeAndNamed(String model) throws Exception {
    Path in = TestData.devModels().resolve(model + ".onnx");
    Path out = tmp.resolve(model + ".onnx");
    Path report = tmp.resolve(model + ".json");
    CliTest.Result r = CliTest.run("optimize", in.toString(), "-o", out.toString(), "--level", "O1",
        "--enable", BreakOneRelu.NAME, "--verify", "--report", report.toString());
    assertEquals(Main.CHECK_FAILED, r.exit(), r.out() + r.err());
    String broken = Models.load(out).metadata().get(BreakOneRelu.MARK);
    assertNotNull(broken, "the rule marks the output it broke");
    String line = r.out().lines().filter(l -> l.startsWith("verify: ")).findFirst().orElseThrow();
    assertTrue(line.startsWith("verify: FAIL"), line);
    assertTrue(line.contains("first diverging node '") && line.contains("(LeakyRelu, inputs ")
        && line.contains("(standing for " + broken + ")"), line);
    assertTrue(line.contains("rule '" + BreakOneRelu.NAME + "' (in pass 'basic')"), line);

    JsonNode rep = new ObjectMapper().readTree(report.toFile());
    assertEquals("fail", rep.get("verdict").asText());
    assertTrue(rep.get("explanation").asText().contains("standing for " + broken + ")"),
        rep.toString());
    assertTrue(rep.get("culprit").asText().contains(BreakOneRelu.NAME), rep.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"optest_conv_bn_relu"})
  void aNanProducingRuleFails(String model) {
    Path in = TestData.devModels().resolve(model + ".onnx");
    Path out = tmp.resolve(model + ".onnx");
    CliTest.Result r = CliTest.run("optimize", in.toString(), "-o", out.toString(),
        "--enable", NanOneRelu.NAME, "--verify");
    assertEquals(Main.CHECK_FAILED, r.exit(), r.out() + r.err());
    String line = r.out().lines().filter(l -> l.startsWith("verify: ")).findFirst().orElseThrow();
    assertTrue(line.startsWith("verify: FAIL") && line.contains("(Div, inputs ")
        && line.contains("rule '" + NanOneRelu.NAME + "'"), line);
  }
}

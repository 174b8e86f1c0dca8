package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.testing.NudgeOneConstant;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code optimize --level O2 --target cvy --verify} on the dev models where Convoy's evaluator and ONNX
 * Runtime already disagree on the original: the verdict is runtime drift (exit 0, flagged on the
 * console line and in the JSON report with both figures), and a test-only rule that nudges one
 * constant by 1e-2 still fails on the same model and is named.
 */
class RuntimeDriftCliTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"all-minilm-l6-v2-q", "yolox_nano"})
  void runtimeDriftIsFlaggedNotFailed(String model) throws Exception {
    Path in = TestData.devModels().resolve(model + ".onnx");
    Path report = tmp.resolve(model + ".json");
    CliTest.Result r = CliTest.run("optimize", in.toString(), "-o",
        tmp.resolve(model + ".cvy").toString(), "--level", "O2", "--target", "cvy", "--verify",
        "--report", report.toString());
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    String line = r.out().lines().filter(l -> l.startsWith("verify: ")).findFirst().orElseThrow();
    assertTrue(line.startsWith("verify: runtime-drift (") && line.contains(
        "; runtime drift: Convoy's evaluator and ONNX Runtime differ by "), line);
    JsonNode rep = new ObjectMapper().readTree(report.toFile());
    assertEquals("runtime-drift", rep.get("verdict").asText());
    assertTrue(rep.get("explanation").asText().contains("the optimized model adds at most "),
        rep.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"all-minilm-l6-v2-q"})
  void aNudgedConstantFailsWhereTheRuntimesDrift(String model) {
    Path in = TestData.devModels().resolve(model + ".onnx");
    CliTest.Result r = CliTest.run("optimize", in.toString(), "-o",
        tmp.resolve(model + ".cvy").toString(), "--level", "O2", "--target", "cvy", "--enable",
        NudgeOneConstant.NAME, "--verify");
    assertEquals(Main.CHECK_FAILED, r.exit(), r.out() + r.err());
    String line = r.out().lines().filter(l -> l.startsWith("verify: ")).findFirst().orElseThrow();
    assertTrue(line.startsWith("verify: FAIL") && line.contains(
        "rule '" + NudgeOneConstant.NAME + "'"), line);
  }
}

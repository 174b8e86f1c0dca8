package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.testing.OrtFixture;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one choice of runtimes for a verification: ONNX Runtime on an ONNX original, the evaluator
 * on any other source; the candidate where its artifact runs (a {@code .cvy} with Convoy's ops in
 * the evaluator, an ONNX artifact in ONNX Runtime).
 */
class OracleTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path tmp;

  private static final String ORIGINAL = """
      graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,2,4,4]) {
        opset "" 13
        init %W: float32[2,2,1,1] = [0.5, -1.0, 2.0, 0.25]
        init %B: float32[2] = [0.1, -0.3]
        %c: float32[1,2,4,4] = Conv(%x, %W, %B)
        %y = Relu(%c)
      }
      """;

  private static Graph fused(String bias) {
    return GraphParser.parse("""
        graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,2,4,4]) {
          opset "" 13
          opset "convoy" 1
          init %W: float32[2,2,1,1] = [0.5, -1.0, 2.0, 0.25]
          init %B: float32[2] = [BIAS]
          %y = convoy::FusedConv(%x, %W, %B) {activation="Relu"}
        }
        """.replace("BIAS", bias));
  }

  @Test
  void choosesOrtForOnnxSidesAndTheEvaluatorForOthers() {
    assertEquals("ort", Oracle.choose(ModelFormat.ONNX, ModelFormat.ONNX).label());
    assertEquals("ort/convoy-evaluator", Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY).label());
    assertEquals("convoy-evaluator", Oracle.choose(ModelFormat.TFLITE, ModelFormat.CVY).label());
    assertEquals("convoy-evaluator/ort", Oracle.choose(ModelFormat.CAFFE, ModelFormat.ONNX).label());
  }

  @Test
  void cvyCandidateWithConvoyOpsRunsInTheEvaluatorAgainstOrtOnTheOriginal() throws Exception {
    Graph original = GraphParser.parse(ORIGINAL);
    Path file = tmp.resolve("m.onnx");
    OnnxExporter.write(original, file);
    Map<String, Tensor> inputs = SeededInputs.generate(original, Map.of());
    Oracle cvy = Oracle.choose(ModelFormat.sniff(file), ModelFormat.CVY);
    try (OrtVerifier ort = new OrtVerifier()) {
      Evaluator evaluator = Evaluator.standard();
      assertEquals(Verdict.PASS, ModelVerification.judge(cvy, file, original,
          fused("0.1, -0.3"), inputs, ort, evaluator, () -> null).verdict());
      assertEquals(Verdict.FAIL, ModelVerification.judge(cvy, file, original,
          fused("0.1, -0.2"), inputs, ort, evaluator, () -> null).verdict());
      // Written as ONNX, the fused graph goes to ONNX Runtime as its export (convoy ops expanded).
      Oracle onnx = Oracle.choose(ModelFormat.ONNX, ModelFormat.ONNX);
      assertEquals(Verdict.PASS, ModelVerification.judge(onnx, file, original,
          fused("0.1, -0.3"), inputs, ort, evaluator, () -> null).verdict());
      assertEquals(Verdict.FAIL, ModelVerification.judge(onnx, file, original,
          fused("0.1, -0.2"), inputs, ort, evaluator, () -> null).verdict());
    }
  }
}

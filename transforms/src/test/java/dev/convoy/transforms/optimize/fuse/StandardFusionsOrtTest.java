package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.PassRegistry;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtBasic;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The numeric check of the standard-ONNX fusions with ONNX Runtime as the oracle: each rule's
 * golden {@code before.txt}, rewritten by the rule alone, loads in ONNX Runtime and computes what
 * the original computes there (rtol 1e-4, atol 1e-5, seeded inputs).
 */
class StandardFusionsOrtTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final List<String> RULES = List.of(
      FuseClipChain.NAME, FuseClampQuantize.NAME, FuseQdqShapeOp.NAME,
      FuseConvTransposeAffine.NAME, FuseGemmAffine.NAME, FuseGeluTanh.NAME, FuseMish.NAME,
      FusePadIntoConvPool.NAME, FuseDepthToSpace.NAME, FuseNegIntoAddSub.NAME,
      ReplaceDivByPowerOfTwo.NAME, FuseRmsNorm.NAME, FuseSwish.NAME,
      FuseTransposeIntoGemm.NAME);

  @TestFactory
  Stream<DynamicTest> rewrittenGoldensMatchOrt() {
    return RULES.stream().map(r -> DynamicTest.dynamicTest(r, () -> check(r)));
  }

  private static void check(String rule) throws Exception {
    Path before = Path.of("src/test/resources/golden", rule, "before.txt");
    Graph original = GraphParser.parse(Files.readString(before));
    Graph rewritten = original.copy();
    var ctx = new PassContext(OptimizeOptions.atLevel(Level.O2), null);
    int fired = new RuleSetPass(rule, List.of(PassRegistry.rule(rule)), 1000).run(rewritten, ctx);
    assertTrue(fired > 0, rule + " did not fire on " + before);
    byte[] candidate = OnnxExporter.toBytes(rewritten);
    assertNull(OrtBasic.loadError(candidate), rule + ": ONNX Runtime refuses the result");
    Map<String, Tensor> inputs = SeededInputs.generate(original, shapes(before.resolveSibling(
        "input-shapes.txt")));
    var v = ORT.verifier().compare(OnnxExporter.toBytes(original), candidate, inputs);
    assertTrue(v.pass(), rule + ": outputs changed in ONNX Runtime: " + v.firstFailure());
  }

  /** The golden folder's input shapes for symbolic dims ({@code name=2x3} lines), if any. */
  private static Map<String, long[]> shapes(Path file) throws Exception {
    Map<String, long[]> m = new HashMap<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        if (!line.isBlank() && !line.startsWith("#")) {
          String[] kv = line.trim().split("=", 2);
          m.put(kv[0], OracleArgs.parseShape(file.toString(), kv[1]));
        }
      }
    }
    return m;
  }
}

package dev.convoy.transforms.optimize.opset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link OrtOpsetWindows} says exactly where ONNX Runtime loads each op and type it lists (one
 * node, every opset from 13 to the newest Convoy converts to), and {@code --target-opset} refuses
 * to move such a node out of its window: the differential tester's transformer-44847 (float64
 * LeakyRelu at opset 18 taken to 26, which ONNX Runtime then refused to load).
 */
class OrtOpsetWindowsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TestFactory
  Stream<DynamicTest> onnxRuntimeLoadsEachListedOpExactlyInsideItsWindow() {
    List<DynamicTest> tests = new ArrayList<>();
    OrtOpsetWindows.WINDOWS.forEach((op, byType) -> byType.forEach((t, w) -> tests.add(
        DynamicTest.dynamicTest(op + " " + t.textName(), () -> {
          List<Integer> loads = new ArrayList<>();
          List<Integer> expected = new ArrayList<>();
          for (int v = 13; v <= OpsetConverter.MAX_TARGET; v++) {
            if (OpCatalog.standard().find("", op, v) == null) {
              continue;
            }
            if (ortLoads(oneNode(op, t, v))) {
              loads.add(v);
            }
            if (w.contains(v)) {
              expected.add(v);
            }
          }
          assertEquals(expected, loads, op + " " + t.textName() + ": opsets ONNX Runtime loads");
        }))));
    return tests.stream();
  }

  @Test
  void float64LeakyReluIsNotTakenOutOfTheOpsetsOnnxRuntimeRunsItAt() {
    Graph g = GraphParser.parse(leakyRelu("float64", 18));
    OrtOpsetGapException e = assertThrows(OrtOpsetGapException.class,
        () -> optimize(g, OpsetConverter.MAX_TARGET));
    assertEquals("LeakyRelu", e.op());
    assertEquals(DType.DOUBLE, e.dtype());
    assertTrue(e.getMessage().contains("opsets 16 to 18"), e.getMessage());
    assertThrows(OrtOpsetGapException.class, () -> optimize(GraphParser.parse(
        leakyRelu("float64", 17)), 15));
    assertTrue(ortLoads(optimize(GraphParser.parse(leakyRelu("float64", 18)), 16)));
  }

  @Test
  void otherTypesAndUnloadableOriginalsStillConvert() {
    Graph f32 = optimize(GraphParser.parse(leakyRelu("float32", 18)), OpsetConverter.MAX_TARGET);
    assertEquals(OpsetConverter.MAX_TARGET, f32.opsetVersion(""));
    assertTrue(ortLoads(f32));
    // At 15 ONNX Runtime refuses the original already; 17 is where it starts to load it.
    assertTrue(ortLoads(optimize(GraphParser.parse(leakyRelu("float64", 15)), 17)));
  }

  private static Graph optimize(Graph g, int opset) {
    return Optimizer.optimize(g, new OptimizeOptions(Level.O1, Set.of(), Set.of(), null, Map.of(),
        false, OptimizeOptions.DEFAULT_FOLD_CAP, Target.STANDARD.withOpset(opset))).graph();
  }

  private static String leakyRelu(String type, int opset) {
    return "graph g (%x: " + type + "[2,3]) -> (%y) {\n  opset \"\" " + opset
        + "\n  %y = LeakyRelu(%x) {alpha=0.1}\n}\n";
  }

  private static Graph oneNode(String op, DType t, int opset) {
    String call = op.equals("PRelu") ? "PRelu(%x, %x)" : op + "(%x)";
    return GraphParser.parse("graph g (%x: " + t.textName() + "[2,3]) -> (%y) {\n  opset \"\" "
        + opset + "\n  %y = " + call + "\n}\n");
  }

  private static boolean ortLoads(Graph g) {
    Map<String, Tensor> in = SeededInputs.generate(g, Map.of(), 1);
    try {
      ORT.verifier().run(OnnxExporter.toBytes(g), in);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}

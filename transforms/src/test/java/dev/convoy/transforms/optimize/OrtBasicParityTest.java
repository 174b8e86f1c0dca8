package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtBasic;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * O1 against ONNX Runtime's BASIC level on every dev model, ORT measured in the same run, compute
 * nodes counted over all subgraphs less {@code Constant}. Dynamic: no input shapes to either side;
 * O1 leaves no more nodes, and the result still accepts two input sizes (the oracle args' and one
 * with every dynamic dim changed, where the original model runs at it) and matches the original in
 * ORT at both. Static: the oracle args' shapes to both (ORT as free-dimension overrides); no more
 * nodes, and ORT loads the result.
 */
class OrtBasicParityTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();
  @TempDir static Path tmp;

  @TestFactory
  Stream<DynamicTest> dynamicShapesNoMoreNodesThanOrtBasicAndSameOutputsAtTwoSizes() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> checkDynamic(p)));
  }

  @TestFactory
  Stream<DynamicTest> fixedShapesNoMoreNodesThanOrtBasicAndOrtLoadsTheResult() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> checkStatic(p)));
  }

  private static void checkDynamic(Path model) throws Exception {
    Graph g = OnnxImporter.importFile(model);
    Graph o1 = Optimizer.optimize(g, o1(Map.of())).graph();
    assertNoMoreNodes(model, o1, OrtBasic.optimize(model, g, Map.of(), saved(model)).graph());
    byte[] original = Files.readAllBytes(model);
    byte[] optimized = OnnxExporter.toBytes(o1);
    assertNull(OrtBasic.loadError(optimized), model + ": ORT refuses the O1 result");
    Map<String, long[]> first = OracleArgs.read(model).shapes();
    assertSameOutputs(model, original, optimized, SeededInputs.generate(g, first));
    Map<String, long[]> second = otherSizes(g, first);
    if (second != null) {
      Map<String, Tensor> inputs = SeededInputs.generate(g, second);
      if (originalRuns(original, inputs)) {
        assertSameOutputs(model, original, optimized, inputs);
      }
    }
  }

  private static void checkStatic(Path model) throws Exception {
    Graph g = OnnxImporter.importFile(model);
    Map<String, long[]> shapes = OracleArgs.read(model).shapes();
    Graph o1 = Optimizer.optimize(g, o1(shapes)).graph();
    assertNoMoreNodes(model, o1, OrtBasic.optimize(model, g, shapes, saved(model)).graph());
    assertNull(OrtBasic.loadError(OnnxExporter.toBytes(o1)), model + ": ORT refuses the result");
  }

  private static void assertNoMoreNodes(Path model, Graph o1, Graph ort) {
    int ours = OrtBasic.computeNodes(o1);
    int theirs = OrtBasic.computeNodes(ort);
    assertTrue(ours <= theirs, model + ": O1 leaves " + ours + " compute nodes, ORT BASIC "
        + theirs + "; O1 " + o1.opHistogram() + " vs ORT " + ort.opHistogram());
  }

  private static void assertSameOutputs(Path model, byte[] original, byte[] optimized,
      Map<String, Tensor> inputs) {
    var v = ORT.verifier().compare(original, optimized, inputs);
    assertTrue(v.pass(), model + " at " + shapesOf(inputs) + ": " + v.firstFailure());
  }

  /**
   * The oracle shapes with every dim the model declares dynamic changed (1 becomes 3, a size of at
   * least 64 shrinks by a quarter to a multiple of 32, any other doubles); null when the model
   * declares no dynamic dim.
   */
  private static Map<String, long[]> otherSizes(Graph g, Map<String, long[]> first) {
    Map<String, long[]> out = new LinkedHashMap<>();
    boolean changed = false;
    for (Value in : g.inputs()) {
      long[] dims = first.get(in.name());
      if (dims == null || in.tensorType() == null || !in.tensorType().shape().hasRank()) {
        continue;
      }
      long[] next = dims.clone();
      List<Dim> declared = in.tensorType().shape().dims();
      for (int i = 0; i < next.length && i < declared.size(); i++) {
        if (!declared.get(i).isStatic()) {
          next[i] = dims[i] == 1 ? 3 : dims[i] >= 64 ? dims[i] * 3 / 4 / 32 * 32 : dims[i] * 2;
          changed = true;
        }
      }
      out.put(in.name(), next);
    }
    return changed ? out : null;
  }

  /** Whether ORT runs the original model on {@code inputs}: the sizes the model allows. */
  private static boolean originalRuns(byte[] original, Map<String, Tensor> inputs) {
    try {
      ORT.verifier().run(original, inputs);
      return true;
    } catch (RuntimeException e) {
      System.out.println("second size not allowed by the original model: " + e.getMessage());
      return false;
    }
  }

  private static String shapesOf(Map<String, Tensor> inputs) {
    StringBuilder sb = new StringBuilder();
    inputs.forEach((k, v) -> sb.append(k).append('=').append(v.shape()).append(' '));
    return sb.toString().strip();
  }

  private static Path saved(Path model) {
    return tmp.resolve("ort-basic-" + model.getFileName());
  }

  private static OptimizeOptions o1(Map<String, long[]> shapes) {
    return new OptimizeOptions(Level.O1, Set.of(), Set.of(), null, shapes, false,
        OptimizeOptions.DEFAULT_FOLD_CAP);
  }
}

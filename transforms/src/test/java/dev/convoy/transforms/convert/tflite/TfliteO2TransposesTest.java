package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13's layout goal: a TFLite CNN is imported NCHW with a Transpose pair around every
 * layout-sensitive op, and after O2 (Transpose sinking and cancellation) no Transpose is left
 * except at the graph boundary: at most one per 4-D graph input and one per 4-D graph output.
 * Models without a layout-sensitive op (the recurrent and dense ones) are not CNNs and are not
 * held to it. The one exception is named with its measured count and cause.
 */
class TfliteO2TransposesTest {
  private static final Set<String> LAYOUT_SENSITIVE = Set.of("Conv", "ConvInteger",
      "ConvTranspose", "MaxPool", "AveragePool", "Resize", "DepthToSpace", "SpaceToDepth");

  /**
   * Transposes allowed beyond the boundary ones, per model, with their cause. face_detection's
   * four box and score heads reshape an NHWC [1,H,W,k*c] tensor into [1,H*W*k,c] anchors: the
   * anchor order is the NHWC element order, so each head needs its NCHW data transposed back
   * before its Reshape, which no permutation of the NCHW graph can avoid (measured: 4).
   */
  private static final Map<String, Integer> EXTRA = Map.of(
      "face_detection_short_range.tflite", 4);

  static Stream<Path> models() {
    return TfliteModels.withReferences();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void o2LeavesTransposesOnlyAtTheGraphBoundary(Path model) {
    Graph imported = TfliteImporter.importFile(model);
    Assumptions.assumeTrue(countOps(imported, LAYOUT_SENSITIVE) > 0,
        model.getFileName() + " has no layout-sensitive op (not a CNN); not held to the goal");
    Graph g = Optimizer.optimize(imported, OptimizeOptions.atLevel(Level.O2)).graph();
    int boundary = fourD(g.inputs()) + fourD(g.outputs());
    int allowed = boundary + EXTRA.getOrDefault(model.getFileName().toString(), 0);
    int transposes = countOps(g, Set.of("Transpose"));
    assertTrue(transposes <= allowed, model.getFileName() + ": " + transposes
        + " Transposes after O2, allowed " + allowed + " (" + boundary + " at 4-D graph inputs"
        + " and outputs)");
  }

  private static int fourD(java.util.List<Value> values) {
    return (int) values.stream().filter(v -> Facts.rank(v) == 4).count();
  }

  private static int countOps(Graph g, Set<String> ops) {
    AtomicInteger n = new AtomicInteger();
    g.forEachNode(node -> {
      if (node.domain().isEmpty() && ops.contains(node.opType())) {
        n.incrementAndGet();
      }
    });
    return n.get();
  }
}

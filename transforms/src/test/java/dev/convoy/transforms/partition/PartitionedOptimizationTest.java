package dev.convoy.transforms.partition;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Optimizing a large graph piece by piece (as the pipeline does on different workers), then
 * stitching and running the boundary pass, gives a model that ONNX Runtime finds equivalent to
 * the original and whose node count is within 1% of optimizing the whole graph at once.
 */
class PartitionedOptimizationTest {
  /** The highest level there is; partitioning must hold up against all of its passes. */
  private static final Level LEVEL = Level.values()[Level.values().length - 1];

  @ParameterizedTest
  @ValueSource(strings = {"light_inception_v1", "light_resnet50", "tiny_vit", "ulfd_rfb_320",
      "yolox_nano", "shufflenet_v2_x0_5_nofold"})
  void piecewiseOptimizationMatchesWholeGraphOptimization(String model) throws Exception {
    Path file = TestData.devModels().resolve(model + ".onnx");
    Graph g = OnnxImporter.importFile(file);
    OptimizeOptions options = OptimizeOptions.atLevel(LEVEL);
    int whole = Optimizer.optimize(g, options).graph().totalNodeCount();

    Partition p = GraphPartitioner.split(g, Math.max(20, g.totalNodeCount() / 4));
    assertTrue(p.size() >= 3, model + " split into " + p.size());
    List<Graph> optimized = new ArrayList<>();
    for (Graph piece : p.pieces()) {
      optimized.add(Optimizer.optimize(piece, options).graph());
    }
    Graph stitched = GraphStitcher.stitch(g, optimized);
    assertNull(GraphVerifier.verify(stitched).stream().findFirst().orElse(null));
    Graph result = Optimizer.optimize(stitched, options).graph();

    int partitioned = result.totalNodeCount();
    assertTrue(Math.abs(partitioned - whole) <= Math.ceil(whole * 0.01),
        model + ": partitioned " + partitioned + " nodes vs whole-graph " + whole);
    try (OrtVerifier ort = new OrtVerifier()) {
      var inputs = SeededInputs.generate(g, OracleArgs.read(file).shapes());
      var v = ort.compare(Files.readAllBytes(file), OnnxExporter.toBytes(result), inputs);
      assertTrue(v.pass(), model + ": " + v.firstFailure());
    }
  }
}

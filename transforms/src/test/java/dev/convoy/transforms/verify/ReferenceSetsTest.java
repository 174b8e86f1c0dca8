package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recorded reference sets are matched to the graph by the names their tensors hold: a Caffe
 * net's references hold the blob before the Softmax ({@code ip2}) first and the net's output
 * ({@code prob}) second, which by position compared the logits with the probabilities; a named
 * intermediate of the original is not compared, and a name that is neither an output nor a value
 * fails saying so.
 */
class ReferenceSetsTest {
  @TempDir Path tmp;

  private static final Graph NEG_RELU = GraphParser.parse("""
      graph g (%x: float32[2]) -> (%y: float32[2]) {
        opset "" 13
        %h: float32[2] = Neg(%x)
        %y = Relu(%h)
      }
      """);

  private Path refs(String firstName, float... first) throws Exception {
    Path set = Files.createDirectories(tmp.resolve("m.ref/test_data_set_0"));
    long[] two = {2};
    OnnxTensors.writePb(Tensor.ofFloats(two, 1f, -2f), "x", set.resolve("input_0.pb"));
    OnnxTensors.writePb(Tensor.ofFloats(two, first), firstName, set.resolve("output_0.pb"));
    OnnxTensors.writePb(Tensor.ofFloats(two, 0f, 2f), "y", set.resolve("output_1.pb"));
    return tmp.resolve("m.ref");
  }

  @Test
  void outputsAreMatchedByTheirNamesAndANamedIntermediateIsSkipped() throws Exception {
    var v = ReferenceSets.verify(refs("h", -1f, 2f), NEG_RELU, NEG_RELU, Evaluator.standard());
    assertEquals(List.of("test_data_set_0/y"),
        v.outputs().stream().map(OrtVerifier.OutputComparison::name).toList());
    assertTrue(v.pass(), v.firstFailure());
  }

  @Test
  void aNameThatIsNeitherAnOutputNorAValueFailsSayingSo() throws Exception {
    var v = ReferenceSets.verify(refs("prob", 0f, 2f), NEG_RELU, NEG_RELU, Evaluator.standard());
    assertFalse(v.pass());
    assertTrue(v.firstFailure().contains("output_0.pb holds 'prob', which is neither an output of"
        + " the graph (y) nor one of its values"), v.firstFailure());
  }

  @Test
  void anInputFileNamingNoGraphInputIsBadInput() throws Exception {
    Path dir = refs("h", -1f, 2f);
    OnnxTensors.writePb(Tensor.ofFloats(new long[] {2}, 1f, -2f), "data",
        dir.resolve("test_data_set_0/input_0.pb"));
    var e = assertThrows(InvalidModelException.class,
        () -> ReferenceSets.verify(dir, NEG_RELU, NEG_RELU, Evaluator.standard()));
    assertTrue(e.getMessage().contains("input_0.pb: holds 'data', which is not an input of the"
        + " graph (inputs: x)"), e.getMessage());
  }

  @Test
  void aCaffeNetPassesAgainstItsNamedReferences() {
    Path net = TestData.root().resolve("models/caffe/lenet.prototxt");
    Graph original = Models.load(net);
    Graph result = Optimizer.optimize(original, OptimizeOptions.atLevel(Level.O2)).graph();
    Judgement j = ModelVerification.verify(net, original, result, ModelFormat.CVY, Map.of(),
        () -> null);
    assertEquals(Verdict.PASS, j.verdict(), j.summary());
    assertTrue(j.outputs().outputs().stream()
        .anyMatch(o -> o.name().equals("test_data_set_0/prob")), j.summary());
  }
}

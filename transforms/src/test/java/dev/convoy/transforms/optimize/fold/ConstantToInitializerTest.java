package dev.convoy.transforms.optimize.fold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.RuleSetPass;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rule and the catalog's Constant kernel read a Constant's value the same way: the same
 * tensor for every kind of value attribute, and the same error (ONNX allows exactly one value
 * attribute) for a node that sets two or none.
 */
class ConstantToInitializerTest {

  private static Graph graph(String attributes) {
    return GraphParser.parse("graph g () -> (%k) {\n  opset \"\" 13\n  %k = Constant() {"
        + attributes + "} @c\n}\n");
  }

  private static int fold(Graph g) {
    var rules = new RuleSetPass(ConstantToInitializer.NAME, List.of(new ConstantToInitializer()),
        100);
    return rules.run(g, new PassContext(OptimizeOptions.atLevel(Level.O1), null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"value=float32[2] [1.5, -2.0]", "value_float=2.5",
      "value_floats=[4.0, 5.0, 6.0]", "value_int=7", "value_ints=[1, -2, 3]",
      "value_string=\"abc\"", "value_strings=[\"a\", \"bc\"]"})
  void foldsEveryValueAttributeToWhatTheKernelComputes(String attribute) {
    Graph g = graph(attribute);
    NdArray kernel = (NdArray) Evaluator.standard().run(g, Map.of()).get("k");
    assertEquals(1, fold(g));
    assertTrue(g.nodes().isEmpty(), "the Constant node is gone");
    Tensor init = g.localValue("k").constant();
    NdArray folded = NdArray.fromTensor(init);
    assertTrue(kernel.sameAs(folded), attribute + ": kernel " + kernel + ", folded " + folded);
  }

  @Test
  void rejectsAConstantWithTwoValueAttributesAsTheKernelDoes() {
    String attrs = "value=float32[1] [1.0], value_int=3";
    var fromRule = assertThrows(InvalidModelException.class, () -> fold(graph(attrs)));
    var fromKernel = assertThrows(InvalidModelException.class,
        () -> Evaluator.standard().run(graph(attrs), Map.of()));
    assertEquals("node 'c' (Constant): sets both 'value' and 'value_int'; exactly one value"
        + " attribute is allowed", fromRule.getMessage());
    assertEquals(fromRule.getMessage(), fromKernel.getMessage());
  }

  @Test
  void rejectsAConstantWithoutAValue() {
    var e = assertThrows(InvalidModelException.class, () -> fold(graph("")));
    assertTrue(e.getMessage().startsWith("node 'c' (Constant): sets none of the value attributes"),
        e.getMessage());
  }
}

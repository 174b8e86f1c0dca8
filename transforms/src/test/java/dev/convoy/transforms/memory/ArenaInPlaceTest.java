package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.text.GraphParser;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ops beyond the elementwise ones that the planner lets write over their dying input ({@code
 * BufferRules.mayWriteInPlace}): for each, a graph where the op reads an intermediate {@code %t}
 * last, planned so that its output {@code %u} shares {@code %t}'s bytes, runs in its arena with
 * outputs bit-identical to the unplanned run, on inputs with NaN, infinities and signed zeros;
 * and the cases where it must not share (another storage width, a statistics output in use).
 */
class ArenaInPlaceTest {
  private static final double[] SPECIAL = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, 3e38, -1e-45, 1e-45};

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "Softmax last axis; float32[2,3,8]; %u = Softmax(%t) {axis=-1}",
      "Softmax middle axis; float32[2,3,8]; %u = Softmax(%t) {axis=1}",
      "LogSoftmax; float32[4,8]; %u = LogSoftmax(%t) {axis=1}",
      "Hardmax; float32[4,8]; %u = Hardmax(%t) {axis=-1}",
      "LayerNormalization; float32[2,3,8]; %u = LayerNormalization(%t, %g8, %b8) {axis=-1}",
      "LayerNormalization two axes; float32[2,3,8]; %u = LayerNormalization(%t, %g24) {axis=1}",
      "convoy LayerNormalization; float32[4,8]; %u = convoy::LayerNormalization(%t, %g8, %b8)",
      "BatchNormalization; float32[2,3,4,2]; %u = BatchNormalization(%t, %g3, %b3, %m3, %v3)",
      "InstanceNormalization; float32[2,3,4,2]; %u = InstanceNormalization(%t, %g3, %b3)",
      "NhwcBatchNormalization; float32[2,4,2,3];"
          + " %u = convoy::NhwcBatchNormalization(%t, %g3, %b3, %m3, %v3)",
      "NhwcInstanceNormalization; float32[2,4,2,3];"
          + " %u = convoy::NhwcInstanceNormalization(%t, %g3, %b3)",
      "Where over x; float32[3,8]; %u = Where(%c, %t, %y)",
      "Cast int8 to uint8; int8[4,8]; %u = Cast(%t) {to=2}",
      "Cast float16 to bfloat16; float16[4,8]; %u = Cast(%t) {to=16}",
      "QuantizeLinear float16 to int16; float16[4,8]; %u = QuantizeLinear(%t, %s16, %z16)",
      "DequantizeLinear int16 to float16; int16[4,8]; %u = DequantizeLinear(%t, %s16, %z16)"})
  void writesOverItsDyingInputBitIdenticalToTheUnplannedRun(String name, String type,
      String node) {
    Graph g = graph(type, node);
    MemoryPlan plan = plan(g);
    assertEquals("t", allocation(plan, "u").sharesWith(), name + ": %u has its own bytes");
    assertPlannedRunIsUnplannedRun(g, name);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "Cast float to int32, another storage; float32[4,8]; %u = Cast(%t) {to=6}",
      "LayerNormalization with its mean read; float32[4,8];"
          + " %u, %mean = LayerNormalization(%t, %g8, %b8) {axis=-1}\n  %mm = Neg(%mean)"})
  void sharesNothingWhereItMustNot(String name, String type, String node) {
    Graph g = graph(type, node);
    MemoryPlan plan = plan(g);
    assertNull(allocation(plan, "u").sharesWith(), name);
    assertPlannedRunIsUnplannedRun(g, name);
  }

  /**
   * {@code x} of {@code type} negated into {@code %t}, the op in {@code node} from {@code %t} to
   * {@code %u}, and {@code %u} negated (cast back to float32 for the non-float types) into the
   * graph output, so that both {@code %t} and {@code %u} are planned intermediates.
   */
  private static Graph graph(String type, String node) {
    String elem = type.substring(0, type.indexOf('['));
    boolean isFloat = elem.startsWith("float") || elem.startsWith("bfloat");
    String out = isFloat && !node.contains("Cast(") && !node.contains("QuantizeLinear(")
        ? "%out = Neg(%u)" : "%out = Cast(%u) {to=1}";
    Graph g = GraphParser.parse("""
        graph g (%x: TYPE, %c: bool[3,8], %y: float32[3,8]) -> (%out) {
          opset "" 21
          opset "convoy" 1
          init %g8: float32[8] = [1.5, -2.0, 0.5, 1.0, 3.0, -0.25, 2.0, 1.0]
          init %b8: float32[8] = [0.1, 0.2, -0.3, 0.0, -0.0, 1.0, -1.0, 0.5]
          init %g24: float32[3,8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
          init %g3: float32[3] = [1.5, -2.0, 0.5]
          init %b3: float32[3] = [0.1, -0.0, 2.0]
          init %m3: float32[3] = [0.25, -1.0, 3.0]
          init %v3: float32[3] = [1.0, 0.5, 4.0]
          init %s16: float16[] = [0.5]
          init %z16: int16[] = [3]
          %t = Neg(%x)
          NODE
          OUT
        }
        """.replace("TYPE", type).replace("NODE", node).replace("OUT", out));
    ShapeInference.infer(g);
    return g;
  }

  private static MemoryPlan plan(Graph g) {
    MemoryPlan plan = MemoryPlanner.plan(g);
    MemoryPlanCodec.store(g, plan);
    return plan;
  }

  private static MemoryPlan.Allocation allocation(MemoryPlan plan, String value) {
    return plan.allocations().stream().filter(a -> a.value().equals(value)).findFirst()
        .orElseThrow(() -> new AssertionError("%" + value + " is not planned"));
  }

  private static void assertPlannedRunIsUnplannedRun(Graph g, String name) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Random rnd = new Random(name.hashCode());
    for (Value in : g.inputs()) {
      long[] dims = in.tensorType().shape().sizes();
      DType dt = in.tensorType().dtype();
      double[] v = new double[(int) Tensor.numElements(dims)];
      for (int i = 0; i < v.length; i++) {
        v[i] = dt == DType.BOOL ? rnd.nextInt(2)
            : dt.isFloatingPoint() && i < SPECIAL.length ? SPECIAL[i]
            : dt.isFloatingPoint() ? rnd.nextGaussian() * 4 : rnd.nextInt(200) - 100;
      }
      inputs.put(in.name(), NdArray.fromDoubles(dt, dims, v).toTensor());
    }
    Tensor planned = Evaluator.standard().runTensors(g, inputs).get("out");
    Tensor unplanned = Evaluator.standard().useArena(false).runTensors(g, inputs).get("out");
    assertArrayEquals(ArenaExecutionTest.bytes(unplanned), ArenaExecutionTest.bytes(planned),
        name);
  }
}

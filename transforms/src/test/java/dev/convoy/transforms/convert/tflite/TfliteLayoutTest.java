package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.SubGraph;

/**
 * The imported form that Transpose sinking (O2) can cancel: every layout-sensitive op of a TFLite
 * model reads its data input straight from a Transpose with perm [0,3,1,2], and its result
 * reaches the NHWC tensor through exactly one Transpose with perm [0,2,3,1], after only
 * elementwise ops (fused activation, requantization) that apply per channel. A pair around each op
 * is then all the NHWC bookkeeping there is: consecutive ops leave a [0,2,3,1] next to a
 * [0,3,1,2], which compose to the identity.
 */
class TfliteLayoutTest {
  private static final Set<String> LAYOUT_SENSITIVE = Set.of("Conv", "ConvInteger",
      "ConvTranspose", "MaxPool", "AveragePool", "Resize", "DepthToSpace", "SpaceToDepth");
  /** What may sit between a layout-sensitive op and its closing Transpose. */
  private static final Set<String> PER_CHANNEL = Set.of("Relu", "Clip", "Tanh", "Add", "Mul",
      "Cast", "QuantizeLinear");
  private static final long[] TO_NCHW = {0, 3, 1, 2};
  private static final long[] TO_NHWC = {0, 2, 3, 1};

  static Stream<Path> models() {
    return TfliteModels.withReferences();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void eachLayoutSensitiveOpSitsBetweenOneTransposePair(Path model) {
    Graph g = TfliteImporter.importFile(model);
    List<String> problems = new ArrayList<>();
    int layoutOps = 0;
    for (Node n : g.nodes()) {
      if (!LAYOUT_SENSITIVE.contains(n.opType())) {
        continue;
      }
      layoutOps++;
      Node in = n.input(0).producer();
      if (!isTranspose(in, TO_NCHW)) {
        problems.add(n.name() + " (" + n.opType() + ") reads " + describe(in));
      }
      Node out = closingTranspose(n.output(0));
      if (out == null) {
        problems.add(n.name() + " (" + n.opType() + ") does not reach one [0,2,3,1] Transpose");
      }
    }
    assertTrue(problems.isEmpty(), model.getFileName() + ":\n" + String.join("\n", problems));
    long layoutTransposes = g.nodes().stream().filter(n -> !isConstant(n.input(0))
        && (isTranspose(n, TO_NCHW) || isTranspose(n, TO_NHWC))).count();
    assertEquals(2L * layoutOps + sourceTransposes(model), layoutTransposes,
        model.getFileName() + ": NCHW/NHWC Transposes of activations beyond one pair per"
        + " layout-sensitive op and the model's own TRANSPOSE operators");
  }

  /** Whether {@code v} is computed from initializers only (weights that folding removes). */
  private static boolean isConstant(Value v) {
    Node p = v.producer();
    return p == null ? v.isInitializer()
        : p.inputs().stream().allMatch(i -> i == null || isConstant(i));
  }

  /** The TRANSPOSE operators of the model's subgraphs. */
  private static long sourceTransposes(Path model) {
    ByteBuffer buf;
    try {
      buf = ByteBuffer.wrap(Files.readAllBytes(model)).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Model m = Model.getRootAsModel(buf);
    long count = 0;
    for (int s = 0; s < m.subgraphsLength(); s++) {
      SubGraph sg = m.subgraphs(s);
      for (int i = 0; i < sg.operatorsLength(); i++) {
        var code = m.operatorCodes((int) sg.operators(i).opcodeIndex());
        if (Math.max(code.builtinCode(), code.deprecatedBuiltinCode()) == BuiltinOperator.TRANSPOSE) {
          count++;
        }
      }
    }
    return count;
  }

  /** Follows sole uses through per-channel elementwise ops to a [0,2,3,1] Transpose. */
  private static Node closingTranspose(Value v) {
    while (v.uses().size() == 1 && !v.isGraphOutput()) {
      Node user = v.uses().get(0).node();
      if (isTranspose(user, TO_NHWC)) {
        return user;
      }
      if (!PER_CHANNEL.contains(user.opType())) {
        return null;
      }
      v = user.output(0);
    }
    return null;
  }

  private static boolean isTranspose(Node n, long[] perm) {
    return n != null && n.is("Transpose") && n.attribute("perm")
        .map(a -> a instanceof Attribute.IntsAttr p && Arrays.equals(p.values(), perm))
        .orElse(false);
  }

  private static String describe(Node n) {
    return n == null ? "a graph input or constant" : n.opType() + " " + n.name();
  }
}

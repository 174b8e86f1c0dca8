package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tanh approximation of GELU as exporters spell it,
 * {@code 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))} (the three factors multiplied in
 * any grouping and order, the cube as {@code Pow(x, 3)} or {@code x * x * x}, every sum and
 * product with its operands either way round), is ONNX's {@code Gelu(x, approximate="tanh")},
 * standard from opset 20 and defined as exactly that formula. Every intermediate must feed only
 * the next step and every constant must be a one-element float that keeps x's shape; the root
 * Mul becomes the Gelu. Below opset 20, with {@code --onnx-ops ort}, it becomes ONNX Runtime's
 * {@code com.microsoft::FastGelu(x)} (the same formula) on float32 instead.
 */
public final class FuseGeluTanh implements MatchingRule<FuseGeluTanh.Found> {
  public static final String NAME = "fuse-gelu-tanh";

  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
  private static final double CUBIC = 0.044715;

  /** The GELU's input and the nodes of the spelled-out formula besides the root. */
  public record Found(Value x, List<Node> chain, boolean fast) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    boolean fast = root.graph().opsetVersion("") < 20;
    if (fast && !rw.options().target().ortOps()) {
      return Match.fail("Gelu needs opset 20 (or --onnx-ops ort, for FastGelu)");
    }
    List<Node> chain = new ArrayList<>();
    List<Value> factors = new ArrayList<>();
    for (Value v : root.inputs()) {
      Node p = v == null ? null : v.producer();
      if (p != null && p.is("Mul") && p.domain().isEmpty() && Matchers.soleProducer(v, "Mul").ok()
          && !isOnePlusTanh(v)) {
        chain.add(p);
        factors.addAll(p.inputs());
      } else {
        factors.add(v);
      }
    }
    if (factors.size() != 3) {
      return Match.fail(root.name() + " is not a product of three factors");
    }
    Value half = null;
    Value onePlusTanh = null;
    for (Value f : factors) {
      if (half == null && Matchers.isScalar(f, 0.5)) {
        half = f;
      } else if (onePlusTanh == null && isOnePlusTanh(f)) {
        onePlusTanh = f;
      }
    }
    if (half == null || onePlusTanh == null) {
      return Match.fail(root.name() + " does not multiply 0.5 and 1 + tanh(...)");
    }
    List<Value> rest = new ArrayList<>(factors);
    rest.remove(half);
    rest.remove(onePlusTanh);
    Value x = rest.get(0);
    Node add1 = onePlusTanh.producer();
    Node tanh = add1.input(Matchers.isScalar(add1.input(0), 1.0) ? 1 : 0).producer();
    chain.add(add1);
    chain.add(tanh);
    List<Value> constants = new ArrayList<>(List.of(half,
        add1.input(Matchers.isScalar(add1.input(0), 1.0) ? 0 : 1)));
    String inner = innerArgument(tanh.input(0), x, chain, constants);
    if (inner != null) {
      return Match.fail(inner);
    }
    for (Value c : constants) {
      if (!Matchers.keepsShape(x, c)) {
        return Match.fail("constant " + c.name() + " would broadcast " + x.name());
      }
    }
    if (fast && Facts.dtype(x) != DType.FLOAT) {
      return Match.fail(x.name() + " is not float32 (FastGelu is fused for float32 only)");
    }
    return Match.of(new Found(x, chain, fast));
  }

  /** Whether {@code v} is {@code Add(Tanh(...), 1)} (either order) with sole-use steps. */
  private static boolean isOnePlusTanh(Value v) {
    Node add = v == null ? null : v.producer();
    if (add == null || !add.is("Add") || !Matchers.soleProducer(v, "Add").ok()) {
      return false;
    }
    for (int side = 0; side < 2; side++) {
      if (Matchers.isScalar(add.input(1 - side), 1.0)
          && Matchers.soleProducer(add.input(side), "Tanh").ok()) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks that {@code v} is {@code sqrt(2/pi) * (x + 0.044715 * x^3)}, adding its nodes to
   * {@code chain} and its constants to {@code constants}; null when it is, else why not.
   */
  private static String innerArgument(Value v, Value x, List<Node> chain, List<Value> constants) {
    Node scaled = soleBinary(v, "Mul", SQRT_2_OVER_PI, constants);
    if (scaled == null) {
      return "tanh's argument is not sqrt(2/pi) times a sum";
    }
    chain.add(scaled);
    Value sum = Matchers.isScalar(scaled.input(0), SQRT_2_OVER_PI)
        ? scaled.input(1) : scaled.input(0);
    Match<Node> add = Matchers.soleProducer(sum, "Add");
    if (!add.ok()) {
      return add.reason();
    }
    chain.add(add.value());
    Value other = add.value().input(0) == x ? add.value().input(1)
        : add.value().input(1) == x ? add.value().input(0) : null;
    Node cubic = other == null ? null : soleBinary(other, "Mul", CUBIC, constants);
    if (cubic == null) {
      return "the sum is not x + 0.044715 * x^3";
    }
    chain.add(cubic);
    Value cube = Matchers.isScalar(cubic.input(0), CUBIC) ? cubic.input(1) : cubic.input(0);
    return isCube(cube, x, chain, constants) ? null : cube.name() + " is not x^3";
  }

  /** Whether {@code v} is {@code Pow(x, 3)} or {@code x * x * x}, with sole-use steps. */
  private static boolean isCube(Value v, Value x, List<Node> chain, List<Value> constants) {
    Node p = v.producer();
    if (p == null || !Matchers.soleProducer(v, p.opType()).ok() || !p.domain().isEmpty()) {
      return false;
    }
    if (p.is("Pow") && p.input(0) == x && Matchers.isScalar(p.input(1), 3.0)) {
      chain.add(p);
      constants.add(p.input(1));
      return true;
    }
    if (!p.is("Mul")) {
      return false;
    }
    for (int side = 0; side < 2; side++) {
      Node sq = p.input(1 - side) == x ? p.input(side).producer() : null;
      if (sq != null && sq.is("Mul") && sq.input(0) == x && sq.input(1) == x
          && Matchers.soleProducer(p.input(side), "Mul").ok()) {
        chain.add(p);
        chain.add(sq);
        return true;
      }
    }
    return false;
  }

  /** The sole-use {@code op} producing {@code v} with a scalar operand {@code c}, or null. */
  private static Node soleBinary(Value v, String op, double c, List<Value> constants) {
    Match<Node> m = Matchers.soleProducer(v, op);
    if (!m.ok()) {
      return null;
    }
    for (Value in : m.value().inputs()) {
      if (Matchers.isScalar(in, c)) {
        constants.add(in);
        return m.value();
      }
    }
    return null;
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    if (m.fast()) {
      rw.replaceWithNew(root, root.output(0), Target.MICROSOFT, 1, "FastGelu", List.of(m.x()),
          Map.of(), root.name());
      rw.erase(root);
      m.chain().forEach(rw::erase);
      return;
    }
    rw.setOpType(root, "Gelu");
    rw.setInputs(root, new ArrayList<>(List.of(m.x())));
    rw.setAttribute(root, "approximate", Attribute.StringAttr.of("tanh"));
    for (Node n : m.chain()) {
      rw.erase(n);
    }
  }
}

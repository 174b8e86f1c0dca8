package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.anyOf;
import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.scalar;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The hard sigmoid as exporters spell it (PaddlePaddle, MobileNetV3's {@code relu6(x + 3) / 6}):
 * {@code Div(Clip(Add(x, b), 0, c), c)} or {@code Mul(Clip(Add(x, b), 0, c), 1/c)} with scalar
 * constants and {@code c > 0} is {@code HardSigmoid(x, alpha = 1/c, beta = b/c)}, since
 * {@code clip(x + b, 0, c) / c = clip(x/c + b/c, 0, 1)}. HardSigmoid is standard from opset 6.
 * The hard swish spelled {@code Div(Mul(y, Clip(Add(x, b), 0, c)), c)} (the division after the
 * product, as PaddlePaddle exports it) becomes {@code Mul(y, HardSigmoid(x))} by moving the
 * division onto the Clip (equal up to rounding), which {@code fuse-hard-swish} then takes further
 * where the opset allows. Every intermediate must feed only the next step; the constants must
 * keep x's shape; x must be float32 (ONNX Runtime has no HardSigmoid kernel for other types, and
 * refused the float64 result).
 */
public final class FuseHardSigmoid implements TreeRule<FuseHardSigmoid.Found> {
  public static final String NAME = "fuse-hard-sigmoid";

  private static final PatternTree CLIP =
      op("Clip", op("Add", var("x"), scalar("b")).named("add")).withExtraInputs().named("clip");
  private static final PatternTree PRODUCT = op("Mul", CLIP, var("y")).named("product");
  private static final PatternTree TREE = anyOf(
      op("Div", CLIP, scalar("scale")), op("Mul", CLIP, scalar("scale")),
      op("Div", PRODUCT, scalar("scale")), op("Mul", PRODUCT, scalar("scale")));

  /**
   * The chain's input, its Add and Clip, the HardSigmoid's coefficients, and for the product form
   * the inner Mul and its other operand {@code y} (both null otherwise).
   */
  public record Found(Value x, Node add, Node clip, double alpha, double beta, Node product,
      Value y) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Found> check(Binding m, Rewriter rw) {
    Node root = m.root();
    double scale = m.scalar("scale");
    double c = root.is("Div") ? scale : 1 / scale;
    Node clip = m.node("clip");
    double[] bounds = clipBounds(clip);
    if (bounds == null) {
      return Match.fail("Clip bounds are not constants");
    }
    if (!(c > 0) || bounds[0] != 0 || Math.abs(bounds[1] - c) > Matchers.CONSTANT_RTOL * c) {
      return Match.fail("Clip to [" + bounds[0] + ", " + bounds[1] + "] then divide by " + c
          + " is not a hard sigmoid");
    }
    Value x = m.value("x");
    Value b = m.value("b");
    if (Facts.dtype(x) != DType.FLOAT) {
      return Match.fail(x.name() + " is not float32, the one type of ONNX Runtime's HardSigmoid");
    }
    if (!Matchers.keepsShape(x, b)
        || !Matchers.keepsShape(x, m.value("scale")) || !keepsClipShape(clip, x)) {
      return Match.fail("a constant would change the shape or type of " + x.name());
    }
    Node product = m.node("product");
    if (product != null
        && !Objects.equals(Facts.shape(root.output(0)), Facts.shape(product.output(0)))) {
      return Match.fail("the scale would change the shape of the product");
    }
    return Match.of(new Found(x, m.node("add"), clip, 1 / c, Matchers.scalar(b) / c, product,
        m.value("y")));
  }

  private static boolean keepsClipShape(Node clip, Value x) {
    for (int i = 1; i < clip.inputCount(); i++) {
      if (clip.input(i) != null && !Matchers.keepsShape(x, clip.input(i))) {
        return false;
      }
    }
    return true;
  }

  /** [min, max] of a Clip with constant bounds (attributes before opset 11, inputs after). */
  static double[] clipBounds(Node clip) {
    double lo = -Double.MAX_VALUE;
    double hi = Double.MAX_VALUE;
    if (clip.hasAttribute("min") || clip.hasAttribute("max")) {
      lo = clip.floatAttr("min", -Float.MAX_VALUE);
      hi = clip.floatAttr("max", Float.MAX_VALUE);
    }
    for (int i = 1; i <= 2 && i < clip.inputCount(); i++) {
      if (clip.input(i) == null) {
        continue;
      }
      Double v = Matchers.scalar(clip.input(i));
      if (v == null) {
        return null;
      }
      if (i == 1) {
        lo = v;
      } else {
        hi = v;
      }
    }
    return new double[] {lo, hi};
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    Node hs = rw.insertBefore(root, "HardSigmoid", List.of(m.x()), 1,
        Map.of("alpha", new Attribute.FloatAttr((float) m.alpha()),
            "beta", new Attribute.FloatAttr((float) m.beta())),
        root.output(0).name());
    rw.setName(hs, root.name());
    rw.setType(hs.output(0), m.clip().output(0).type());
    if (m.product() != null) {
      rw.replaceWithNew(root, root.output(0), "Mul", List.of(m.y(), hs.output(0)), Map.of(),
          m.product().name());
    } else {
      rw.replace(root.output(0), hs.output(0));
    }
    rw.erase(root);
    if (m.product() != null) {
      rw.erase(m.product());
    }
    rw.erase(m.clip());
    rw.erase(m.add());
  }
}

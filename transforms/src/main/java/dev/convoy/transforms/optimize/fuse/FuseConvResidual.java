package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A residual connection, {@code Add(conv, z)} or a two-input {@code Sum} (either order), where
 * {@code conv} is the float32 output of a Conv or an unactivated {@code convoy::FusedConv} read by
 * the Add alone and {@code z} a computed value provably of exactly its shape (each dim the same
 * static size or the same named symbol, as a model with a symbolic batch has; or, where dims are
 * unknown, both computed from one value through convolutions that keep its batch and spatial
 * sizes, with the same static channel count), becomes {@code
 * convoy::FusedConv(X, W, B, z)}: the conv adds z to each output block in its epilogue (after
 * the bias, as the Add adds it to the biased output; exact), and {@code fuse-activation} can then
 * take the ReLU after it (ResNet's and MobileNetV2's blocks). Where both operands qualify the later
 * conv fuses (the other was computed earlier). Only for the {@code cvy} target below O3 (O3's
 * layout pass writes NhwcConv, which has no residual input).
 */
public final class FuseConvResidual implements MatchingRule<FuseConvResidual.Found> {
  public static final String NAME = "fuse-conv-residual";

  /** The conv to fuse into and the residual it adds. */
  public record Found(Node conv, Value z) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add", "Sum");
  }

  @Override
  public Match<Found> match(Node add, Rewriter rw) {
    String gate = Matchers.notNchwConvoy(rw, "O3 converts the convs to NHWC");
    if (gate != null) {
      return Match.fail(gate);
    }
    if (add.inputCount() != 2 || !add.domain().isEmpty()) {
      return Match.fail(add.name() + " does not add two values");
    }
    List<Node> order = add.graph().nodes();
    Found best = null;
    String why = null;
    for (int i = 0; i < 2; i++) {
      Value y = add.input(i);
      Value z = add.input(1 - i);
      String no = problem(add, y, z);
      if (no != null) {
        why = why == null ? no : why;
        continue;
      }
      if (best == null || order.indexOf(y.producer()) > order.indexOf(best.conv())) {
        best = new Found(y.producer(), z);
      }
    }
    return best != null ? Match.of(best) : Match.fail(why);
  }

  /** Why {@code y + z} cannot become a residual fused into {@code y}'s conv, or null. */
  private static String problem(Node add, Value y, Value z) {
    Node p = y == null ? null : y.producer();
    boolean conv = p != null && p.graph() == add.graph()
        && (p.domain().isEmpty() && p.is("Conv")
        || p.domain().equals(OpCatalog.CONVOY_DOMAIN) && p.opType().equals("FusedConv")
        && p.stringAttr("activation", "").isEmpty() && !p.hasAttribute("post_scale")
        && !p.hasAttribute("post_shift") && p.inputCount() <= 3);
    if (!conv) {
      return (y == null ? "an operand" : y.name())
          + " is not produced by a Conv or an unactivated FusedConv without a residual";
    }
    String notSole = Matchers.notSoleUse(y, 1);
    if (notSole != null) {
      return notSole;
    }
    if (Facts.dtype(y) != DType.FLOAT || Facts.dtype(z) != DType.FLOAT) {
      return add.name() + " is not float32";
    }
    if (z.constant() != null) {
      return z.name() + " is a constant, not a residual";
    }
    boolean same = provablySameShape(Facts.shape(y), Facts.shape(z))
        && provablySameShape(Facts.shape(y), Facts.shape(add.output(0)));
    if (!same && !sameExtentThroughConvs(y, z)) {
      return z.name() + " does not provably have " + y.name() + "'s shape";
    }
    return null;
  }

  /**
   * Whether {@code y} and {@code z} provably have one shape although their batch or spatial dims
   * are unknown (an audio model's length after a computed Pad): the same static channel count and
   * rank, and each reached from one value through convolutions that keep the batch and every
   * spatial size (stride 1, the pads adding up to the window's span less one), as silero's
   * blocks add a depthwise-then-pointwise branch to a pointwise projection of the same input.
   */
  private static boolean sameExtentThroughConvs(Value y, Value z) {
    Shape a = Facts.shape(y);
    Shape b = Facts.shape(z);
    if (a == null || b == null || !a.hasRank() || !b.hasRank() || a.rank() != b.rank()
        || a.rank() < 3 || !(a.dim(1) instanceof Dim.Static c) || !c.equals(b.dim(1))) {
      return false;
    }
    Value origin = extentOrigin(y);
    return origin == extentOrigin(z) && Facts.rank(origin) == a.rank();
  }

  /** Longest chain of extent-keeping convolutions followed up from a value. */
  private static final int MAX_CHAIN = 16;

  /**
   * The value {@code v} is computed from through convolutions that keep the batch and spatial
   * sizes ({@link #keepsExtent}), up to {@link #MAX_CHAIN} of them; {@code v} itself if none.
   */
  private static Value extentOrigin(Value v) {
    for (int i = 0; i < MAX_CHAIN; i++) {
      Node p = v.producer();
      if (p == null || !keepsExtent(p)) {
        return v;
      }
      v = p.input(0);
    }
    return v;
  }

  /**
   * Whether {@code conv} (a Conv, or a convoy FusedConv, whose residual has its output's shape) has
   * an output of its input's batch and spatial sizes: unit strides, and per spatial dim pads
   * summing to {@code (kernel - 1) * dilation} (explicit, or SAME_UPPER/SAME_LOWER), with the
   * kernel known from {@code kernel_shape} or the weight's static shape.
   */
  private static boolean keepsExtent(Node conv) {
    if (!Matchers.convOrFusedConv(conv) || conv.inputCount() < 2 || conv.input(0) == null) {
      return false;
    }
    long[] kernel = conv.intsAttr("kernel_shape");
    if (kernel == null) {
      long[] w = Facts.staticDims(conv.input(1));
      kernel = w == null || w.length < 3 ? null : java.util.Arrays.copyOfRange(w, 2, w.length);
    }
    if (kernel == null) {
      return false;
    }
    int r = kernel.length;
    long[] strides = conv.intsAttr("strides");
    long[] dilations = conv.intsAttr("dilations");
    long[] pads = conv.intsAttr("pads");
    String autoPad = conv.stringAttr("auto_pad", "NOTSET");
    if (strides != null && strides.length != r || dilations != null && dilations.length != r
        || pads != null && pads.length != 2 * r) {
      return false;
    }
    for (int d = 0; d < r; d++) {
      long span = (kernel[d] - 1) * (dilations == null ? 1 : dilations[d]);
      boolean unitStride = strides == null || strides[d] == 1;
      boolean padded = switch (autoPad) {
        case "SAME_UPPER", "SAME_LOWER" -> true;
        case "VALID" -> span == 0;
        case "NOTSET", "" -> (pads == null ? 0 : pads[d] + pads[d + r]) == span;
        default -> false;
      };
      if (!unitStride || !padded) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code a} and {@code b} are the same shape: equal ranks, and per dim the same static
   * size or the same named symbol (equal names in one graph denote equal sizes); an unknown dim
   * proves nothing.
   */
  private static boolean provablySameShape(Shape a, Shape b) {
    if (a == null || b == null || !a.hasRank() || !b.hasRank() || a.rank() != b.rank()) {
      return false;
    }
    for (int i = 0; i < a.rank(); i++) {
      Dim x = a.dim(i);
      if (x instanceof Dim.Unknown || !x.equals(b.dim(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void apply(Node add, Found f, Rewriter rw) {
    Node conv = f.conv();
    List<Value> in = new ArrayList<>(conv.inputs());
    while (in.size() < 3) {
      in.add(null);
    }
    in.add(f.z());
    Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
    rw.fuse(add, List.of(add, conv), OpCatalog.CONVOY_DOMAIN, 1, "FusedConv", in, attrs,
        conv.name(), List.of(add.output(0)));
  }
}

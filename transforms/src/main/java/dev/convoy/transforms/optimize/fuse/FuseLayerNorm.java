package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.anyOf;
import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.scalar;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Layer normalization as exporters spell it,
 * {@code d = x - ReduceMean(x); Div(d, Sqrt(ReduceMean(Pow(d, 2)) + eps))}, optionally followed
 * by {@code Mul(., gamma)} and {@code Add(., beta)} with constants, is ONNX's
 * {@code LayerNormalization(x, gamma, beta, axis, epsilon)}, standard from opset 17 (below it,
 * {@code convoy::LayerNormalization} for the {@code cvy} target, and ONNX Runtime's former contrib
 * LayerNormalization, in the ONNX domain, for {@code --onnx-ops ort}). Only where
 * epsilon sits inside the square root (as LayerNormalization computes it); both means over the
 * same trailing axes with kept dims; every intermediate read only inside the pattern; gamma and
 * beta of the normalized dims' shape (leading ones allowed). The rule is rooted at the Div and
 * takes the affine Mul and Add after it when they read only it, or the Add alone (a gamma of ones
 * whose Mul O1 removed). The fused op rounds differently
 * (a few ulps); where its result feeds a quantizer directly, that difference would flip whole
 * quantization steps (measured on all-minilm-l6-v2-q: max abs error 0.06 at the output), so the
 * rule leaves such chains alone.
 *
 * <p>For the standard ONNX target the rule fuses only an input of at most {@value
 * #ORT_FASTER_ELEMENTS} elements, all dims static: ONNX Runtime 1.28's CPU LayerNormalization is a
 * scalar loop with a division per element, slower than the chain it replaces (whose ops run
 * vectorized) everywhere but on tiny tensors. Measured 2026-12-05, one thread, ORT's graph
 * optimizations off, four chained normalizations over the last axis, fused / chain: [1,128] 0.58,
 * [1,384] 0.91, [16,32] 0.79, [4,128] 0.84, [1,768] 1.27, [8,128] 1.27, [16,128] 1.84, [16,384]
 * (all-minilm) 3.3, [65,128] (tiny_vit) 3.1, [197,768] 4.9, [256,1024] 6.7; fusing tiny_vit's
 * nine at opset 23 made the whole model 1.27x slower in ONNX Runtime. A dynamic dim may be that
 * large, so it does not fuse either. The limit holds only where {@code --target-opset} raised the
 * opset: a model that is already at opset 17 or more keeps its opset and fuses at any size,
 * because ONNX Runtime's BASIC level fuses the same chain into the same LayerNormalization (so
 * ORT with its default optimizations runs that kernel anyway, and O2 must not keep more nodes than
 * BASIC); below 17 BASIC cannot fuse it, and the chain stays. The {@code cvy} target runs Convoy's own kernel, and for the
 * {@code ort} target {@code fuse-skip-layer-norm} turns most of them into ONNX Runtime's faster
 * SkipLayerNormalization (tiny_vit's O2 0.89x its O1 with this rule, 0.93x without), so both fuse
 * at any size.
 */
public final class FuseLayerNorm implements TreeRule<FuseLayerNorm.Found> {
  public static final String NAME = "fuse-layer-norm";

  /**
   * The most elements a LayerNormalization for the standard target may normalize: ONNX Runtime
   * runs a larger one slower than the chain (see the class comment).
   */
  static final long ORT_FASTER_ELEMENTS = 512;

  private static final PatternTree CENTERED =
      op("Sub", var("x"), op("ReduceMean", var("x")).withExtraInputs().named("mean")).named("d");
  private static final PatternTree SQUARE =
      anyOf(op("Pow", var("d"), scalar(2.0)), op("Mul", var("d"), var("d")));
  private static final PatternTree TREE = op("Div", CENTERED,
      op("Sqrt", op("Add", op("ReduceMean", SQUARE).withExtraInputs().named("var"),
          scalar("eps"))));

  /**
   * What the rewrite replaces: the input, axis, epsilon, the affine constants, the value the
   * LayerNormalization takes over and the matched nodes, readers before what they read.
   */
  public record Found(Value x, int axis, double epsilon, Tensor scale, Tensor bias, Value last,
      List<Node> nodes) {}

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
    Node div = m.root();
    if (div.graph().opsetVersion("") < 17 && !rw.options().target().allowsFusedOps()) {
      return Match.fail("LayerNormalization needs opset 17");
    }
    double eps = m.scalar("eps");
    if (!(eps >= 0)) {
      return Match.fail("epsilon " + eps + " is not a non-negative number");
    }
    Value x = m.value("x");
    int rank = Facts.rank(x);
    DType t = Facts.dtype(x);
    if (rank < 1 || t == null || !t.isFloatingPoint()) {
      return Match.fail(x.name() + " has no known rank or is not floating point");
    }
    Shape shape = Facts.shape(x);
    if (!rw.options().target().allowsFusedOps() && rw.options().target().opset() != 0
        && !(shape.isStatic() && shape.numElements() <= ORT_FASTER_ELEMENTS)) {
      return Match.fail(x.name() + " " + shape + " is not statically at most "
          + ORT_FASTER_ELEMENTS + " elements, where ONNX Runtime's LayerNormalization is slower"
          + " than the chain (at a raised opset)");
    }
    int axis = trailingAxis(m.node("mean"), rank);
    if (axis < 0 || trailingAxis(m.node("var"), rank) != axis) {
      return Match.fail("the means are not over the same trailing axes with kept dims");
    }
    List<Node> nodes = new ArrayList<>(m.nodes());
    long[] normDims = normalizedDims(x, axis, rank);
    Value last = div.output(0);
    Tensor scale = null;
    Tensor bias = null;
    Node next = consumer(last, "Mul");
    if (next != null && affine(next, last, normDims, rank - axis) != null) {
      scale = affine(next, last, normDims, rank - axis);
      nodes.add(0, next);
      last = next.output(0);
    }
    // The shift after the scale, or straight after the Div where the scale was all ones (O1's
    // eliminate-mul-one removes that Mul; x + 0.0 is not x, so a zero beta's Add stays).
    if (scale != null || next == null) {
      Node after = consumer(last, "Add");
      if (after != null && affine(after, last, normDims, rank - axis) != null) {
        bias = affine(after, last, normDims, rank - axis);
        nodes.add(0, after);
        last = after.output(0);
      }
    }
    for (var u : last.uses()) {
      if (u.node().is("DynamicQuantizeLinear") || u.node().is("QuantizeLinear")) {
        return Match.fail(last.name() + " feeds a quantizer, which would amplify rounding changes");
      }
    }
    if (scale == null) {
      scale = ones(t, normDims);
      if (scale == null) {
        return Match.fail("no constant scale, and the normalized dims are not static");
      }
    }
    return Match.of(new Found(x, axis, eps, scale, bias, last, nodes));
  }

  /** The first normalized axis when {@code mean} averages the trailing axes keeping dims, else -1. */
  private static int trailingAxis(Node mean, int rank) {
    if (mean.intAttr("keepdims", 1) != 1) {
      return -1;
    }
    long[] axes = Facts.attrOrInput(mean, "axes", 1, null);
    long[] norm = axes == null ? null : Facts.normalizeAxes(axes, rank);
    if (norm == null || norm.length == 0 || norm[norm.length - 1] != rank - 1) {
      return -1;
    }
    for (int i = 1; i < norm.length; i++) {
      if (norm[i] != norm[i - 1] + 1) {
        return -1;
      }
    }
    return (int) norm[0];
  }

  private static long[] normalizedDims(Value x, int axis, int rank) {
    long[] dims = new long[rank - axis];
    var shape = Facts.shape(x);
    for (int i = axis; i < rank; i++) {
      var dim = shape.dim(i);
      dims[i - axis] = dim.isStatic() ? dim.size() : -1;
    }
    return dims;
  }

  /** The sole consumer of {@code v} when it is a default-domain {@code op}, else null. */
  private static Node consumer(Value v, String op) {
    if (Matchers.notSoleUse(v, 1) != null) {
      return null;
    }
    Node n = v.uses().get(0).node();
    return n.is(op) && n.domain().isEmpty() ? n : null;
  }

  /**
   * The constant operand of binary {@code n} (reading {@code v}) reshaped to the normalized dims,
   * when it has exactly their shape after leading ones; else null.
   */
  private static Tensor affine(Node n, Value v, long[] normDims, int normRank) {
    Value other = n.input(0) == v ? n.input(1) : n.input(0);
    Tensor c = other == null ? null : other.constant();
    if (c == null || other == v || c.dtype() != Facts.dtype(v)) {
      return null;
    }
    long[] dims = c.dims();
    int lead = dims.length - normRank;
    for (int i = 0; i < lead; i++) {
      if (dims[i] != 1) {
        return null;
      }
    }
    long[] tail = Arrays.copyOfRange(dims, Math.max(lead, 0), dims.length);
    if (lead < 0 || !Arrays.equals(tail, normDims)) {
      return null;
    }
    return Tensor.of(c.dtype(), normDims, c.data());
  }

  private static Tensor ones(DType t, long[] dims) {
    if (Arrays.stream(dims).anyMatch(d -> d < 0)) {
      return null;
    }
    int n = (int) Tensor.numElements(dims);
    return switch (t) {
      case FLOAT -> {
        float[] f = new float[n];
        Arrays.fill(f, 1f);
        yield Tensor.ofFloats(dims, f);
      }
      case DOUBLE -> {
        double[] f = new double[n];
        Arrays.fill(f, 1d);
        yield Tensor.ofDoubles(dims, f);
      }
      default -> null;
    };
  }

  @Override
  public void apply(Node div, Found m, Rewriter rw) {
    Node lastNode = m.last().producer();
    List<Value> inputs = new ArrayList<>();
    inputs.add(m.x());
    inputs.add(rw.constant(div.graph(), m.scale(), div.name() + "_scale"));
    if (m.bias() != null) {
      inputs.add(rw.constant(div.graph(), m.bias(), div.name() + "_bias"));
    }
    Map<String, Attribute> attrs = Map.of("axis", new Attribute.IntAttr(m.axis()),
        "epsilon", new Attribute.FloatAttr((float) m.epsilon()));
    if (div.graph().opsetVersion("") < 17 && rw.options().target().convoyOps()) {
      rw.replaceWithNew(lastNode, m.last(), OpCatalog.CONVOY_DOMAIN, 1, "LayerNormalization", inputs,
          attrs, div.name());
    } else {
      // From opset 17 ONNX's own; below it (ort target) ONNX Runtime's former contrib op, which
      // it still registers in the ONNX domain for opsets 1 to 16.
      rw.replaceWithNew(lastNode, m.last(), "LayerNormalization", inputs, attrs, div.name());
    }
    m.nodes().forEach(rw::erase);
  }
}

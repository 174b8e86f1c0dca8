package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.List;

/**
 * The operand checks that QDQ groups into integer ops ({@code fuse-qdq-conv}, {@code
 * fuse-qdq-gemm}) share: the DequantizeLinear feeding an operand, a constant weight quantized per
 * tensor or per output channel with zero points 0, an int32 bias whose scale is {@code x_scale *
 * w_scale}, and the explicit zero points the integer ops need.
 */
final class QdqOperands {
  /** Bias scale relative to {@code x_scale * w_scale} that still counts as equal. */
  private static final double BIAS_SCALE_RTOL = 1e-6;

  private QdqOperands() {}

  /**
   * The per-tensor 8-bit parameters of QuantizeLinear {@code q} when its input is read only by it
   * and is produced by {@code op} ({@code plain} of the default domain, or {@code fused} of the
   * convoy or com.microsoft domain, when not empty, with no activation or a Relu that the output
   * range absorbs: a zero point at the type's minimum saturates what the Relu would clamp); else
   * why not.
   */
  static Match<QuantParams> outputOf(Node q, String plain, String fused) {
    Value mid = q.input(0);
    Node op = mid == null ? null : mid.producer();
    boolean isFused = op != null && !fused.isEmpty() && op.opType().equals(fused)
        && (op.domain().equals(OpCatalog.CONVOY_DOMAIN) || op.domain().equals(Target.MICROSOFT));
    if (op == null || !(op.is(plain) || isFused)) {
      return Match.fail((mid == null ? "the input" : mid.name()) + " is not produced by a "
          + plain);
    }
    String notSole = Matchers.notSoleUse(mid, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    Match<QuantParams> pq = QuantParams.of(q);
    if (!pq.ok()) {
      return pq;
    }
    QuantParams y = pq.value();
    if (!y.perTensor() || !is8Bit(y.type())) {
      return Match.fail("QuantizeLinear " + q.name() + " is not per-tensor 8-bit");
    }
    String act = isFused ? op.stringAttr("activation", "") : "";
    if (!act.isEmpty() && !(act.equals("Relu") && y.zeroPoints()[0] == y.min())) {
      return Match.fail(op.name() + "'s activation " + act + " is not a Relu that the output"
          + " range absorbs");
    }
    return pq;
  }

  /** A product's two dequantized operands (inputs 0 and 1) and their parameters. */
  record Operands(Node dqa, QuantParams a, Node dqb, QuantParams b) {}

  /**
   * The DequantizeLinear nodes feeding inputs 0 and 1 of {@code op} with their parameters, the
   * first (the activation) per tensor and 8-bit; else why not.
   */
  static Match<Operands> dequantizedOperands(Node op) {
    Node dqa = dequantizer(op.input(0));
    Node dqb = dequantizer(op.input(1));
    if (dqa == null || dqb == null) {
      return Match.fail(op.name() + " does not read two dequantized operands");
    }
    Match<QuantParams> pa = QuantParams.of(dqa);
    Match<QuantParams> pb = QuantParams.of(dqb);
    if (!pa.ok() || !pb.ok()) {
      return pa.ok() ? pb.cast() : pa.cast();
    }
    if (!pa.value().perTensor() || !is8Bit(pa.value().type())) {
      return Match.fail("DequantizeLinear " + dqa.name() + " is not per-tensor 8-bit");
    }
    return Match.of(new Operands(dqa, pa.value(), dqb, pb.value()));
  }

  /**
   * Why ONNX Runtime has no QLinearConv or QLinearMatMul kernel for {@code op} quantized as
   * {@code ta} x {@code tb} -> {@code ty} (it has uint8 x (u)int8 -> uint8 and int8 x int8 -> int8
   * only, and a result it cannot load is never written), or null.
   */
  static String kernelTypesProblem(Node op, DType ta, DType tb, DType ty) {
    if (!is8Bit(tb) || (ta == DType.INT8 && tb != DType.INT8) || ty != ta) {
      return op.name() + " quantizes " + ta.textName() + " x " + tb.textName() + " -> "
          + ty.textName() + ", not uint8 x (u)int8 -> uint8 or int8 x int8 -> int8";
    }
    return null;
  }

  static boolean is8Bit(DType t) {
    return t == DType.UINT8 || t == DType.INT8;
  }

  /** The DequantizeLinear of the default domain that produces {@code v}, or null. */
  static Node dequantizer(Value v) {
    Node p = v == null ? null : v.producer();
    return p != null && p.is("DequantizeLinear") ? p : null;
  }

  /**
   * Why the weight's dequantization is not a constant 8-bit tensor per tensor or per output
   * channel ({@code channels} along {@code axis}, zero points 0), or null.
   */
  static String weightProblem(Node dqw, QuantParams w, int axis, long channels) {
    Tensor wq = dqw.input(0).constant();
    if (wq == null || !is8Bit(w.type())) {
      return "the weight of " + dqw.name() + " is not a constant 8-bit tensor";
    }
    if (w.perTensor()) {
      return null;
    }
    long a = dqw.intAttr("axis", 1);
    if ((a < 0 ? a + wq.rank() : a) != axis || w.scales().length != channels
        || (w.zeroPoints().length != 1 && w.zeroPoints().length != channels)) {
      return "DequantizeLinear " + dqw.name() + " is not per output channel (axis " + axis + ")";
    }
    for (long z : w.zeroPoints()) {
      if (z != 0) {
        return "DequantizeLinear " + dqw.name() + " has a non-zero per-channel zero point";
      }
    }
    return null;
  }

  /**
   * The DequantizeLinear feeding {@code op}'s bias (input 2): null when {@code op} has no bias, a
   * failure when the bias is not dequantized or not an int32 bias of {@code channels} at x*w.
   */
  static Match<Node> biasDequantizer(Node op, double xScale, double[] wScales, long channels) {
    if (op.inputCount() <= 2 || op.input(2) == null) {
      return Match.of(null);
    }
    Node dqb = dequantizer(op.input(2));
    String bad = dqb == null ? op.name() + "'s bias is not dequantized"
        : biasProblem(dqb, xScale, wScales, channels);
    return bad == null ? Match.of(dqb) : Match.fail(bad);
  }

  /** Why the bias's dequantization is not an int32 bias of {@code channels} at x*w, or null. */
  private static String biasProblem(Node dqb, double xScale, double[] wScales, long channels) {
    Tensor b = dqb.input(0).constant();
    Tensor s = dqb.input(1) == null ? null : dqb.input(1).constant();
    Value zv = dqb.inputCount() > 2 ? dqb.input(2) : null;
    Tensor z = zv == null ? null : zv.constant();
    if (b == null || b.dtype() != DType.INT32 || b.rank() != 1 || b.dims()[0] != channels
        || s == null || !s.dtype().isFloatingPoint() || (zv != null && z == null)
        || (z != null && !Facts.isAll(z, 0))) {
      return "the bias of " + dqb.name() + " is not a constant int32 vector with zero point 0";
    }
    double[] bs = s.toDoubleArray();
    if (bs.length != 1 && bs.length != channels) {
      return "the bias scale of " + dqb.name() + " is neither one value nor one per channel";
    }
    for (int m = 0; m < channels; m++) {
      double want = (float) (xScale * wScales[wScales.length == 1 ? 0 : m]);
      double have = bs[bs.length == 1 ? 0 : m];
      if (!(Math.abs(have - want) <= BIAS_SCALE_RTOL * want)) {
        return "the bias scale of " + dqb.name() + " is " + have + ", not x_scale * w_scale = "
            + want;
      }
    }
    return null;
  }

  /** Adds the quantized value {@code dq} reads, its scale and its zero point. */
  static void addQuantization(List<Value> inputs, Node dq, Rewriter rw) {
    inputs.add(dq.input(0));
    inputs.add(dq.input(1));
    inputs.add(zeroPoint(dq, Facts.dtype(dq.input(0)), rw));
  }

  /** The zero point input of {@code n}, or a new 0 of {@code type} when it is omitted. */
  static Value zeroPoint(Node n, DType type, Rewriter rw) {
    Value z = n.inputCount() > 2 ? n.input(2) : null;
    return z != null ? z : rw.constant(n.graph(), Tensor.zeros(type, new long[0]),
        n.name() + "_zero_point");
  }
}

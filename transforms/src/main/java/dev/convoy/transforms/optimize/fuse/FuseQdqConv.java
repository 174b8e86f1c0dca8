package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A QDQ convolution group, {@code QuantizeLinear(Conv(DequantizeLinear(x), DequantizeLinear(w),
 * DequantizeLinear(b)?))}, becomes {@code QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale,
 * y_zp, b?)}: the convolution accumulates the 8-bit values exactly in integers and requantizes
 * once (ONNX Runtime's QDQ selector does the same at EXTENDED). The Conv may already carry a Relu
 * ({@code FusedConv} with {@code activation=Relu}, either domain) when the output zero point is
 * the quantized type's minimum: the quantizer's saturation then does what the Relu does, exactly
 * as in {@code fuse-clamp-quantize}. x and y are per tensor; w per tensor or per output channel
 * (axis 0, zero points 0); the bias, when present, is int32 with zero point 0 and scale {@code
 * x_scale * w_scale} (within 1e-6), as QLinearConv adds it to the accumulator.
 *
 * <p>The float convolution of the QDQ graph and the integer one differ only in float32 rounding
 * before requantization, which can move an output by one quantization step only where the float
 * value sits within a few float32 ulps of a rounding tie. Measured, that never happened: ONNX
 * Runtime on the QDQ graph and on the QLinearConv agree on every output of small_cnn_qdq and of
 * {@code QdqConvRequantizationTest}'s seeded random groups, so the rule writes the standard op on
 * every target (as ONNX Runtime's own EXTENDED level does).
 */
public final class FuseQdqConv implements MatchingRule<FuseQdqConv.Found> {
  public static final String NAME = "fuse-qdq-conv";

  /** Bias scale relative to {@code x_scale * w_scale} that still counts as equal. */
  private static final double BIAS_SCALE_RTOL = 1e-6;

  /** The group: the convolution and the three dequantizations (bias one null when absent). */
  public record Found(Node conv, Node dqx, Node dqw, Node dqb) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Found> match(Node q, Rewriter rw) {
    Value mid = q.input(0);
    Node conv = mid == null ? null : mid.producer();
    if (conv == null || !isConv(conv)) {
      return Match.fail((mid == null ? "the input" : mid.name()) + " is not produced by a Conv");
    }
    String notSole = Matchers.notSoleUse(mid, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    Match<QuantParams> pq = QuantParams.of(q);
    if (!pq.ok()) {
      return pq.cast();
    }
    QuantParams y = pq.value();
    if (!y.perTensor() || !is8Bit(y.type())) {
      return Match.fail("QuantizeLinear " + q.name() + " is not per-tensor 8-bit");
    }
    String act = conv.domain().isEmpty() ? "" : conv.stringAttr("activation", "");
    if (!act.isEmpty() && !(act.equals("Relu") && y.zeroPoints()[0] == y.min())) {
      return Match.fail(conv.name() + "'s activation " + act + " is not a Relu that the output"
          + " range absorbs");
    }
    Node dqx = dequantizer(conv.input(0));
    Node dqw = dequantizer(conv.input(1));
    if (dqx == null || dqw == null) {
      return Match.fail(conv.name() + " does not read dequantized input and weight");
    }
    Match<QuantParams> px = QuantParams.of(dqx);
    Match<QuantParams> pw = QuantParams.of(dqw);
    if (!px.ok() || !pw.ok()) {
      return px.ok() ? pw.cast() : px.cast();
    }
    if (!px.value().perTensor() || !is8Bit(px.value().type())) {
      return Match.fail("DequantizeLinear " + dqx.name() + " is not per-tensor 8-bit");
    }
    long outChannels = dqw.input(0).constant() == null ? -1 : dqw.input(0).constant().dims()[0];
    String wrong = weightProblem(dqw, pw.value(), outChannels);
    if (wrong != null) {
      return Match.fail(wrong);
    }
    Node dqb = null;
    if (conv.inputCount() > 2 && conv.input(2) != null) {
      dqb = dequantizer(conv.input(2));
      String bad = dqb == null ? conv.name() + "'s bias is not dequantized"
          : biasProblem(dqb, px.value().scales()[0], pw.value().scales(), outChannels);
      if (bad != null) {
        return Match.fail(bad);
      }
    }
    return Match.of(new Found(conv, dqx, dqw, dqb));
  }

  private static boolean isConv(Node n) {
    return n.is("Conv") || (n.opType().equals("FusedConv")
        && (n.domain().equals(OpCatalog.CONVOY_DOMAIN) || n.domain().equals(Target.MICROSOFT)));
  }

  private static boolean is8Bit(DType t) {
    return t == DType.UINT8 || t == DType.INT8;
  }

  /** The DequantizeLinear of the default domain that produces {@code v}, or null. */
  private static Node dequantizer(Value v) {
    Node p = v == null ? null : v.producer();
    return p != null && p.is("DequantizeLinear") ? p : null;
  }

  /** Why the weight's dequantization does not fit QLinearConv, or null. */
  private static String weightProblem(Node dqw, QuantParams w, long outChannels) {
    Tensor wq = dqw.input(0).constant();
    if (wq == null || !is8Bit(w.type())) {
      return "the weight of " + dqw.name() + " is not a constant 8-bit tensor";
    }
    if (w.perTensor()) {
      return null;
    }
    long axis = dqw.intAttr("axis", 1);
    boolean axis0 = axis == 0 || axis == -wq.rank();
    if (!axis0 || w.scales().length != outChannels
        || (w.zeroPoints().length != 1 && w.zeroPoints().length != outChannels)) {
      return "DequantizeLinear " + dqw.name() + " is not per output channel (axis 0)";
    }
    for (long z : w.zeroPoints()) {
      if (z != 0) {
        return "DequantizeLinear " + dqw.name() + " has a non-zero per-channel zero point";
      }
    }
    return null;
  }

  /** Why the bias's dequantization is not QLinearConv's int32 bias, or null. */
  private static String biasProblem(Node dqb, double xScale, double[] wScales,
      long outChannels) {
    Tensor b = dqb.input(0).constant();
    Tensor s = dqb.input(1) == null ? null : dqb.input(1).constant();
    Value zv = dqb.inputCount() > 2 ? dqb.input(2) : null;
    Tensor z = zv == null ? null : zv.constant();
    if (b == null || b.dtype() != DType.INT32 || b.rank() != 1 || b.dims()[0] != outChannels
        || s == null || !s.dtype().isFloatingPoint() || (zv != null && z == null)
        || (z != null && !Facts.isAll(z, 0))) {
      return "the bias of " + dqb.name() + " is not a constant int32 vector with zero point 0";
    }
    double[] bs = s.toDoubleArray();
    if (bs.length != 1 && bs.length != outChannels) {
      return "the bias scale of " + dqb.name() + " is neither one value nor one per channel";
    }
    for (int m = 0; m < outChannels; m++) {
      double want = (float) (xScale * wScales[wScales.length == 1 ? 0 : m]);
      double have = bs[bs.length == 1 ? 0 : m];
      if (!(Math.abs(have - want) <= BIAS_SCALE_RTOL * want)) {
        return "the bias scale of " + dqb.name() + " is " + have + ", not x_scale * w_scale = "
            + want;
      }
    }
    return null;
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    Node conv = f.conv();
    List<Value> inputs = new ArrayList<>();
    addQuantization(inputs, f.dqx(), f.dqx().input(0), rw);
    addQuantization(inputs, f.dqw(), f.dqw().input(0), rw);
    inputs.add(q.input(1));
    inputs.add(zeroPoint(q, QuantParams.of(q).value().type(), rw));
    if (f.dqb() != null) {
      inputs.add(f.dqb().input(0));
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
    attrs.remove("activation");
    attrs.remove("activation_params");
    rw.fuse(q, List.of(q, conv), "", q.graph().opsetVersion(""), "QLinearConv", inputs, attrs,
        conv.name(), List.of(q.output(0)));
  }

  /** The quantized value, its scale and its zero point (a 0 of its type when omitted). */
  private static void addQuantization(List<Value> inputs, Node dq, Value quantized,
      Rewriter rw) {
    inputs.add(quantized);
    inputs.add(dq.input(1));
    inputs.add(zeroPoint(dq, Facts.dtype(quantized), rw));
  }

  private static Value zeroPoint(Node n, DType type, Rewriter rw) {
    Value z = n.inputCount() > 2 ? n.input(2) : null;
    return z != null ? z : rw.constant(n.graph(), Tensor.zeros(type, new long[0]),
        n.name() + "_zero_point");
  }
}

package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
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
 * as in {@code fuse-clamp-quantize}. x and y are per tensor, of one type (uint8 with a uint8 or
 * int8 weight, or int8 with an int8 weight: the kernels ONNX Runtime has); w per tensor or per output channel
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
    Match<QuantParams> pq = QdqOperands.outputOf(q, "Conv", "FusedConv");
    if (!pq.ok()) {
      return pq.cast();
    }
    Node conv = q.input(0).producer();
    Match<QdqOperands.Operands> ops = QdqOperands.dequantizedOperands(conv);
    if (!ops.ok()) {
      return ops.cast();
    }
    String types = QdqOperands.kernelTypesProblem(conv, ops.value().a().type(),
        ops.value().b().type(), pq.value().type());
    if (types != null) {
      return Match.fail(types);
    }
    Node dqx = ops.value().dqa();
    Node dqw = ops.value().dqb();
    long outChannels = dqw.input(0).constant() == null ? -1 : dqw.input(0).constant().dims()[0];
    String wrong = QdqOperands.weightProblem(dqw, ops.value().b(), 0, outChannels);
    if (wrong != null) {
      return Match.fail(wrong);
    }
    Match<Node> dqb = QdqOperands.biasDequantizer(conv, ops.value().a().scales()[0],
        ops.value().b().scales(), outChannels);
    if (!dqb.ok()) {
      return dqb.cast();
    }
    return Match.of(new Found(conv, dqx, dqw, dqb.value()));
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    Node conv = f.conv();
    List<Value> inputs = new ArrayList<>();
    QdqOperands.addQuantization(inputs, f.dqx(), rw);
    QdqOperands.addQuantization(inputs, f.dqw(), rw);
    inputs.add(q.input(1));
    inputs.add(QdqOperands.zeroPoint(q, QuantParams.of(q).value().type(), rw));
    if (f.dqb() != null) {
      inputs.add(f.dqb().input(0));
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
    attrs.remove("activation");
    attrs.remove("activation_params");
    rw.fuse(q, List.of(q, conv), "", q.graph().opsetVersion(""), "QLinearConv", inputs, attrs,
        conv.name(), List.of(q.output(0)));
  }
}

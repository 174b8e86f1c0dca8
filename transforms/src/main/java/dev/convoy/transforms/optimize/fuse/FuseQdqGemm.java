package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A QDQ Gemm group, {@code QuantizeLinear(Gemm(DequantizeLinear(a), DequantizeLinear(b),
 * DequantizeLinear(c)?))}, becomes {@code QGemm(a, a_scale, a_zp, b, b_scale, b_zp, c?, y_scale,
 * y_zp)}: ONNX Runtime's {@code com.microsoft::QGemm} for {@code --onnx-ops ort} (its QDQ
 * selector's Gemm), Convoy's {@code QGemm} of the same signature for the {@code cvy} target.
 * Standard ONNX has no quantized Gemm with a bias, so the standard target keeps the group. The
 * operands are checked as in {@code fuse-qdq-conv}: a per tensor, b a constant 8-bit matrix per
 * tensor or per output column (zero points 0), c an int32 vector at scale {@code a_scale *
 * b_scale} (with a bias alpha and beta must be 1: QGemm scales the bias with the product),
 * transA 0; a Gemm that already carries a Relu ({@code FusedGemm}) is taken when the output
 * zero point is the type's minimum. Integer accumulation differs from
 * the float Gemm only in rounding before requantization, as for the convolutions.
 */
public final class FuseQdqGemm implements MatchingRule<FuseQdqGemm.Found> {
  public static final String NAME = "fuse-qdq-gemm";

  /** The Gemm and its dequantized operands (bias null when absent). */
  public record Found(Node gemm, Node dqa, Node dqb, Node dqc) {}

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
    Target t = rw.options().target();
    if (!t.convoyOps() && !t.ortOps()) {
      return Match.fail("standard ONNX has no quantized Gemm with a bias");
    }
    Match<QuantParams> pq = QdqOperands.outputOf(q, "Gemm", "FusedGemm");
    if (!pq.ok()) {
      return pq.cast();
    }
    Node gemm = q.input(0).producer();
    boolean hasBias = gemm.inputCount() > 2 && gemm.input(2) != null;
    // Gemm is alpha * AB + beta * C; QGemm is alpha * (AB + C).
    if (gemm.intAttr("transA", 0) != 0 || (hasBias && (gemm.floatAttr("beta", 1f) != 1f
        || gemm.floatAttr("alpha", 1f) != 1f))) {
      return Match.fail(gemm.name() + " transposes A or scales the bias");
    }
    Match<QdqOperands.Operands> ops = QdqOperands.dequantizedOperands(gemm);
    if (!ops.ok()) {
      return ops.cast();
    }
    Node dqa = ops.value().dqa();
    Node dqb = ops.value().dqb();
    Tensor b = dqb.input(0).constant();
    if (b == null || b.rank() != 2) {
      return Match.fail("the weight of " + dqb.name() + " is not a constant matrix");
    }
    boolean transB = gemm.intAttr("transB", 0) != 0;
    long columns = b.dims()[transB ? 0 : 1];
    String wrong = QdqOperands.weightProblem(dqb, ops.value().b(), transB ? 0 : 1, columns);
    if (wrong != null) {
      return Match.fail(wrong);
    }
    Match<Node> dqc = QdqOperands.biasDequantizer(gemm, ops.value().a().scales()[0],
        ops.value().b().scales(), columns);
    if (!dqc.ok()) {
      return dqc.cast();
    }
    return Match.of(new Found(gemm, dqa, dqb, dqc.value()));
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    Node gemm = f.gemm();
    List<Value> inputs = new ArrayList<>();
    QdqOperands.addQuantization(inputs, f.dqa(), rw);
    QdqOperands.addQuantization(inputs, f.dqb(), rw);
    inputs.add(f.dqc() == null ? null : f.dqc().input(0));
    inputs.add(q.input(1));
    inputs.add(QdqOperands.zeroPoint(q, Facts.dtype(q.output(0)), rw));
    String domain = rw.options().target().fusedDomain();
    Map<String, Attribute> attrs = Map.of(
        "alpha", new Attribute.FloatAttr(gemm.floatAttr("alpha", 1f)),
        "transB", new Attribute.IntAttr(gemm.intAttr("transB", 0)));
    rw.fuse(q, List.of(q, gemm), domain, 1, "QGemm", inputs, attrs, gemm.name(),
        List.of(q.output(0)));
  }
}

package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
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
 * {@code QuantizeLinear(GlobalAveragePool(DequantizeLinear(x)))}, per tensor and 8-bit on both
 * sides with one quantized type, becomes {@code QLinearGlobalAveragePool(x, x_scale, x_zp,
 * y_scale, y_zp)}: ONNX Runtime's {@code com.microsoft} op for {@code --onnx-ops ort} (its QDQ
 * selector's), Convoy's of the same signature for the {@code cvy} target; standard ONNX has
 * none. The op sums the integers exactly and requantizes once; the original rounds a float32
 * mean whose summation order is the runtime's own, so the two round differently wherever the
 * exact mean lies within that float error of a rounding boundary (qdq-20263: 36 values of one
 * scale in and out, whose mean can be exactly k + 1/2). The rule fires only where no reachable
 * integer sum comes that close ({@link #tieProblem}), which makes the fused op round as every
 * float32 evaluation of the original does. Where it cannot, the {@code cvy} target still takes
 * the group, as {@code convoy::QdqGlobalAveragePool}: the three kernels' float32 arithmetic in
 * one, bit for bit what Convoy's evaluator computes for the group unfused.
 */
public final class FuseQdqGlobalAveragePool
    implements MatchingRule<FuseQdqGlobalAveragePool.Found> {
  public static final String NAME = "fuse-qdq-global-average-pool";

  /**
   * The pool and the dequantization it reads; {@code floatPath}: fuse as the float32 sequence
   * ({@code convoy::QdqGlobalAveragePool}), the integer sum not being proved to round the same.
   */
  public record Found(Node pool, Node dq, boolean floatPath) {}

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
      return Match.fail("standard ONNX has no quantized GlobalAveragePool");
    }
    Match<QuantParams> pq = QdqOperands.outputOf(q, "GlobalAveragePool", "");
    if (!pq.ok()) {
      return pq.cast();
    }
    Node pool = q.input(0).producer();
    Node dq = QdqOperands.dequantizer(pool.input(0));
    if (dq == null) {
      return Match.fail(pool.name() + " does not read a dequantized value");
    }
    Match<QuantParams> px = QuantParams.of(dq);
    if (!px.ok()) {
      return px.cast();
    }
    if (!px.value().perTensor() || px.value().type() != pq.value().type()) {
      return Match.fail("DequantizeLinear " + dq.name() + " is not per tensor of "
          + pq.value().type().textName());
    }
    String tie = tieProblem(pool, dq, px.value(), q, pq.value());
    if (tie == null) {
      return Match.of(new Found(pool, dq, false));
    }
    DType qt = px.value().type();
    if (t.convoyOps() && (qt == DType.UINT8 || qt == DType.INT8)
        && Facts.dtype(dq.input(1)) == DType.FLOAT
        && Facts.dtype(q.input(1)) == DType.FLOAT) {
      return Match.of(new Found(pool, dq, true));
    }
    return Match.fail(tie);
  }

  /** Unit roundoff of float32. */
  private static final double U = 0x1p-24;

  /** The most integer sums the tie check enumerates (and float32 holds exactly). */
  private static final long MAX_SUMS = 1L << 24;

  /**
   * Why the fused op might round some reachable mean otherwise than the original, or null. The
   * original computes {@code r = S * xs / (n * ys)} (S the integer sum of {@code q - x_zp} over
   * n pooled values) in float32: n products, a sum in any order, a division by n and one by ys,
   * off by at most {@code (n + 8) u R} with {@code R = xs * max|q - x_zp| / ys} bounding |r|
   * (Higham's bound for any summation order, doubled for safety); the fused op is off by a few
   * {@code u |r|}. Both round half to even, so they agree wherever r is further than that from
   * a half-integer. Every S in {@code [n (qmin - x_zp), n (qmax - x_zp)]} is checked, in double
   * (error 1e-16 R, far below the bound); float32 scales, static spatial sizes and a bounded
   * count of sums are required.
   */
  static String tieProblem(Node pool, Node dq, QuantParams x, Node q, QuantParams y) {
    if (Facts.dtype(dq.input(1)) != DType.FLOAT || Facts.dtype(q.input(1)) != DType.FLOAT) {
      return "the scales of " + dq.name() + " and " + q.name() + " are not float32";
    }
    Shape s = Facts.shape(pool.input(0));
    if (s == null || !s.hasRank() || s.rank() < 3) {
      return pool.name() + " has no known rank";
    }
    long n = 1;
    for (int i = 2; i < s.rank(); i++) {
      if (!s.dim(i).isStatic()) {
        return pool.name() + " pools over a spatial size that is not static";
      }
      n *= s.dim(i).size();
    }
    long zx = x.zeroPoints()[0];
    long lo = n * (x.min() - zx);
    long hi = n * (x.max() - zx);
    if (n <= 0 || hi - lo >= MAX_SUMS) {
      return pool.name() + " pools " + n + " values, too many sums to check for rounding ties";
    }
    double xs = x.scales()[0];
    double ys = y.scales()[0];
    double c = xs / (n * ys);
    double bound = 2 * (n + 8) * U * xs * Math.max(x.max() - zx, zx - x.min()) / ys;
    for (long sum = lo; sum <= hi; sum++) {
      double r = sum * c;
      if (Math.abs(r - Math.floor(r) - 0.5) <= bound) {
        return "a sum of " + sum + " over " + n + " values gives a mean of " + r
            + " steps, within float32 error " + String.format("%.2g", bound)
            + " of a rounding tie";
      }
    }
    return null;
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    List<Value> inputs = new ArrayList<>();
    QdqOperands.addQuantization(inputs, f.dq(), rw);
    inputs.add(q.input(1));
    inputs.add(QdqOperands.zeroPoint(q, QuantParams.of(q).value().type(), rw));
    String domain = rw.options().target().fusedDomain();
    rw.fuse(q, List.of(q, f.pool()), domain, 1,
        f.floatPath() ? "QdqGlobalAveragePool" : "QLinearGlobalAveragePool", inputs,
        Map.<String, Attribute>of(), f.pool().name(), List.of(q.output(0)));
  }
}

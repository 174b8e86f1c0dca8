package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
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
 * none. The op sums the integers exactly and requantizes once, which differs from the float
 * mean only in rounding next to a quantization tie.
 */
public final class FuseQdqGlobalAveragePool
    implements MatchingRule<FuseQdqGlobalAveragePool.Found> {
  public static final String NAME = "fuse-qdq-global-average-pool";

  /** The pool and the dequantization it reads. */
  public record Found(Node pool, Node dq) {}

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
    return Match.of(new Found(pool, dq));
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    List<Value> inputs = new ArrayList<>();
    QdqOperands.addQuantization(inputs, f.dq(), rw);
    inputs.add(q.input(1));
    inputs.add(QdqOperands.zeroPoint(q, QuantParams.of(q).value().type(), rw));
    String domain = rw.options().target().fusedDomain();
    rw.fuse(q, List.of(q, f.pool()), domain, 1, "QLinearGlobalAveragePool", inputs,
        Map.<String, Attribute>of(), f.pool().name(), List.of(q.output(0)));
  }
}

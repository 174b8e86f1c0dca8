package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code DynamicQuantizeLinear(x) -> (q, s, z)} read only by one {@code
 * MatMulIntegerToFloat(q, B, s, b_scale, z, b_zero_point?, bias?)} (as {@code
 * fuse-matmul-integer-to-float} writes it) becomes {@code DynamicQuantizeMatMul(x, B, b_scale,
 * b_zero_point?, bias?)} of Convoy's domain, whose kernel quantizes A exactly as
 * DynamicQuantizeLinear does. Only for the {@code cvy} target: ONNX Runtime's own {@code
 * com.microsoft::DynamicQuantizeMatMul} does not reproduce its DynamicQuantizeLinear and
 * MatMulIntegerToFloat on all-minilm-l6-v2-q (max abs error 0.063, cosine 0.99905 on the model
 * output, measured with ONNX Runtime on both sides), so {@code --onnx-ops ort} keeps the pair. A
 * quantization shared by several products (the query, key and value projections of one input)
 * stays, each product a MatMulIntegerToFloat.
 */
public final class FuseDynamicQuantizeMatMul
    implements MatchingRule<FuseDynamicQuantizeMatMul.Found> {
  public static final String NAME = "fuse-dynamic-quantize-matmul";

  /** The product that reads the quantization. */
  public record Found(Node product) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("DynamicQuantizeLinear");
  }

  @Override
  public Match<Found> match(Node dq, Rewriter rw) {
    if (!rw.options().target().convoyOps()) {
      return Match.fail("only the cvy target: ONNX Runtime's DynamicQuantizeMatMul does not"
          + " match its DynamicQuantizeLinear");
    }
    if (dq.outputCount() < 3 || dq.output(0) == null || dq.output(1) == null
        || dq.output(2) == null) {
      return Match.fail(dq.name() + " does not expose its scale and zero point");
    }
    for (int k = 0; k < 3; k++) {
      String notSole = Matchers.notSoleUse(dq.output(k), 1);
      if (notSole != null) {
        return Match.fail(notSole);
      }
    }
    Node p = Rewriter.soleConsumer(dq.output(0));
    String domain = OpCatalog.CONVOY_DOMAIN;
    if (p == null || !p.opType().equals("MatMulIntegerToFloat") || !p.domain().equals(domain)
        || p.graph() != dq.graph()) {
      return Match.fail(dq.output(0).name() + " is not read by a " + domain
          + "::MatMulIntegerToFloat");
    }
    if (p.input(0) != dq.output(0) || p.input(2) != dq.output(1) || p.inputCount() < 5
        || p.input(4) != dq.output(2)) {
      return Match.fail(p.name() + " does not read the quantization as A, a_scale and"
          + " a_zero_point");
    }
    return Match.of(new Found(p));
  }

  @Override
  public void apply(Node dq, Found f, Rewriter rw) {
    Node p = f.product();
    List<Value> inputs = new ArrayList<>(List.of(dq.input(0), p.input(1), p.input(3)));
    inputs.add(p.inputCount() > 5 ? p.input(5) : null);
    inputs.add(p.inputCount() > 6 ? p.input(6) : null);
    while (inputs.get(inputs.size() - 1) == null) {
      inputs.remove(inputs.size() - 1);
    }
    rw.fuse(p, List.of(p, dq), OpCatalog.CONVOY_DOMAIN, 1, "DynamicQuantizeMatMul", inputs, Map.of(),
        p.name(), List.of(p.output(0)));
  }
}

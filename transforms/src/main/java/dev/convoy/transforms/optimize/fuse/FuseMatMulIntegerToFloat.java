package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The float-output integer projection of dynamically quantized models: {@code
 * Mul(Cast<float>(MatMulInteger(A, B, za?, zb?)), Mul(a_scale, b_scale))}, optionally followed by
 * {@code Add} of a constant bias vector over the last axis, becomes one {@code
 * MatMulIntegerToFloat(A, B, a_scale, b_scale, za?, zb?, bias?)}: {@code com.microsoft}'s for
 * {@code --onnx-ops ort} (ONNX Runtime's MatMulIntegerToFloatFusion), Convoy's for the {@code cvy}
 * target (the same signature; its kernel scales the int32 accumulators in the pass that reads
 * them). Exact: the op computes {@code float(acc) * (a_scale * b_scale[j]) + bias[j]}, rounding
 * each step to float32 as the chain does, and float multiplication and addition commute exactly.
 * {@code a_scale} must be one value and {@code b_scale} one or one per column; when the multiplier
 * is not such a product (a constant, a product shared with another reader) it is {@code b_scale}
 * and {@code a_scale} is 1. The integer product, the Cast and the scale product must feed only
 * this chain; A's zero point must be one value (ONNX Runtime's contract); B must be a matrix.
 */
public final class FuseMatMulIntegerToFloat
    implements MatchingRule<FuseMatMulIntegerToFloat.Found> {
  public static final String NAME = "fuse-matmul-integer-to-float";

  /**
   * The chain: the integer product, the Cast, the scale product (null when the multiplier is
   * used as {@code b_scale} whole), the two scales ({@code aScale} null for 1), the bias Add and
   * its constant (both null without one).
   */
  public record Found(Node matMul, Node cast, Node scaleMul, Value aScale, Value bScale,
      Node add, Value bias) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  @Override
  public Match<Found> match(Node mul, Rewriter rw) {
    Target t = rw.options().target();
    if (!t.convoyOps() && !t.ortOps()) {
      return Match.fail("the target allows neither convoy nor ONNX Runtime ops");
    }
    String why = "neither operand of " + mul.name() + " is a Cast of a MatMulInteger";
    for (int side = 0; side < 2; side++) {
      Node cast = mul.input(side) == null ? null : mul.input(side).producer();
      if (cast == null || !cast.is("Cast") || !cast.domain().isEmpty()) {
        continue;
      }
      Match<Node> sole = Matchers.soleProducer(mul.input(side), "Cast");
      if (!sole.ok()) {
        why = sole.reason();
        continue;
      }
      if (cast.intAttr("to", 0) != DType.FLOAT.onnxCode()) {
        why = "Cast " + cast.name() + " does not produce float32";
        continue;
      }
      Match<Node> mm = Matchers.soleProducer(cast.input(0), "MatMulInteger");
      if (!mm.ok()) {
        why = mm.reason();
        continue;
      }
      String bad = unsupported(mm.value());
      if (bad != null) {
        why = bad;
        continue;
      }
      long n = Facts.lastDim(mm.value().output(0));
      Value multiplier = mul.input(1 - side);
      if (n < 0 || Facts.dtype(multiplier) != DType.FLOAT || !oneOrColumns(multiplier, n)) {
        why = "the multiplier " + multiplier.name() + " is not float32 with one value or " + n
            + " per column";
        continue;
      }
      return Match.of(withBias(mul, mm.value(), cast, multiplier, n));
    }
    return Match.fail(why);
  }

  /** Why ONNX Runtime's MatMulIntegerToFloat cannot take this MatMulInteger's operands, or null. */
  private static String unsupported(Node mm) {
    if (Facts.rank(mm.input(0)) < 2 || Facts.rank(mm.input(1)) != 2) {
      return "MatMulInteger " + mm.name() + " is not a product of rank-2+ A and matrix B";
    }
    Value za = mm.inputCount() > 2 ? mm.input(2) : null;
    if (za != null && !oneValue(za)) {
      return "MatMulInteger " + mm.name() + " has a zero point of A that is not one value";
    }
    return null;
  }

  /** Splits the multiplier into its two scales where it is their sole-use product. */
  private static Found withBias(Node mul, Node mm, Node cast, Value multiplier, long n) {
    Node scaleMul = null;
    Value aScale = null;
    Value bScale = multiplier;
    Node p = multiplier.producer();
    if (p != null && p.is("Mul") && p.domain().isEmpty()
        && Matchers.notSoleUse(multiplier, 1) == null) {
      Value u = p.input(0);
      Value v = p.input(1);
      // a_scale is the one-value operand; A's own scale (DynamicQuantizeLinear's) when both are.
      boolean vIsA = oneValue(v) && (!oneValue(u) || isScaleOf(v, mm.input(0)));
      Value a = vIsA ? v : u;
      Value b = vIsA ? u : v;
      if (oneValue(a) && Facts.dtype(a) == DType.FLOAT && Facts.dtype(b) == DType.FLOAT
          && oneOrColumns(b, n)) {
        scaleMul = p;
        aScale = a;
        bScale = b;
      }
    }
    Node add = Rewriter.soleConsumer(mul.output(0));
    if (add != null && add.is("Add") && add.domain().isEmpty() && add.graph() == mul.graph()
        && !mul.output(0).isGraphOutput()) {
      Value c = add.input(0) == mul.output(0) ? add.input(1) : add.input(0);
      Tensor bias = c == null ? null : c.constant();
      if (bias != null && bias.dtype() == DType.FLOAT && FuseMatMulBias.isRowVector(bias.dims(),
          Facts.rank(mul.output(0)), n)) {
        return new Found(mm, cast, scaleMul, aScale, bScale, add, c);
      }
    }
    return new Found(mm, cast, scaleMul, aScale, bScale, null, null);
  }

  /** Whether {@code s} is output 1 (the scale) of the DynamicQuantizeLinear that made {@code a}. */
  private static boolean isScaleOf(Value s, Value a) {
    Node q = a.producer();
    return q != null && q.is("DynamicQuantizeLinear") && q.outputCount() > 1 && q.output(1) == s;
  }

  private static boolean oneValue(Value v) {
    long[] d = Facts.staticDims(v);
    return d != null && d.length <= 1 && Arrays.stream(d).reduce(1, (x, y) -> x * y) == 1;
  }

  /** One value, or a vector of {@code n} (a scale per column). */
  private static boolean oneOrColumns(Value v, long n) {
    long[] d = Facts.staticDims(v);
    return oneValue(v) || (d != null && d.length == 1 && d[0] == n);
  }

  @Override
  public void apply(Node mul, Found f, Rewriter rw) {
    Node mm = f.matMul();
    Value aScale = f.aScale() != null ? f.aScale()
        : rw.constant(mul.graph(), Tensor.ofFloats(new long[0], 1f), "unit_scale");
    List<Value> inputs = new ArrayList<>(List.of(mm.input(0), mm.input(1), aScale, f.bScale()));
    inputs.add(mm.inputCount() > 2 ? mm.input(2) : null);
    inputs.add(mm.inputCount() > 3 ? mm.input(3) : null);
    List<Node> matched = new ArrayList<>(List.of(mul, f.cast(), mm));
    Value out = mul.output(0);
    if (f.add() != null) {
      Tensor b = f.bias().constant();
      Value bias = b.rank() == 1 ? f.bias() : rw.constant(mul.graph(),
          Tensor.of(b.dtype(), new long[] {b.dims()[b.rank() - 1]}, b.data()), f.bias().name());
      inputs.add(bias);
      matched.add(0, f.add());
      out = f.add().output(0);
    }
    while (inputs.get(inputs.size() - 1) == null) {
      inputs.remove(inputs.size() - 1);
    }
    if (f.scaleMul() != null) {
      matched.add(f.scaleMul());
    }
    String domain = rw.options().target().fusedDomain();
    rw.fuse(mul, matched, domain, 1, "MatMulIntegerToFloat", inputs, Map.of(), mm.name(),
        List.of(out));
  }
}

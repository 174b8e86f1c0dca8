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
import java.util.List;
import java.util.Map;

/**
 * {@code Add(MatMul(A, B), c)} with float32 {@code A} of rank 3 or more ({@code [..., K]}), a
 * matrix {@code B} ({@code [K, N]}) and a constant bias {@code c} of {@code [N]} or {@code [1, N]}
 * is a Gemm over the rows of {@code A}: {@code Reshape(Gemm(Reshape(A, [-1, K]), B, c), [...,
 * N])}. Only where that adds no node: the Reshape in front replaces a sole-use Reshape that
 * produced {@code A} (reading what it read; dropped when that is already {@code [M, K]}), and/or
 * the Reshape behind is the sole reader of the sum (a Reshape to a constant shape without 0
 * entries, which then reads the Gemm directly). Without a Reshape behind, the leading dims must be
 * static (putting them back under dynamic dims would take a Shape subgraph). Not for the {@code
 * cvy} target, where {@code fuse-matmul-bias} makes one FusedMatMul of it. Like {@code
 * fuse-matmul-add} at rank 2, the Gemm adds the bias in another order than the product's last
 * rounding (float reassociation).
 */
public final class FuseMatMulAddFlattened implements MatchingRule<FuseMatMulAddFlattened.Found> {
  public static final String NAME = "fuse-matmul-add-flattened";

  /**
   * The MatMul, the bias, the Reshape producing A that the new one replaces (or null), and the
   * Reshape reading the sum that will read the Gemm (or null).
   */
  public record Found(Node matmul, Value bias, Node before, Node after) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add");
  }

  @Override
  public Match<Found> match(Node add, Rewriter rw) {
    if (rw.options().target().convoyOps()) {
      return Match.fail("the cvy target makes a FusedMatMul of it (fuse-matmul-bias)");
    }
    int side = add.input(0) != null && add.input(0).producer() != null
        && add.input(0).producer().is("MatMul") ? 0 : 1;
    Match<Node> mm = Matchers.soleProducer(add.input(side), "MatMul");
    if (!mm.ok()) {
      return mm.cast();
    }
    Value a = mm.value().input(0);
    Value b = mm.value().input(1);
    Value c = add.input(1 - side);
    int rank = Facts.rank(a);
    long[] bd = Facts.staticDims(b);
    if (rank < 3 || bd == null || bd.length != 2 || bd[0] <= 0 || Facts.lastDim(a) != bd[0]) {
      return Match.fail(mm.value().name() + " is not a [..., K] x [K, N] product of rank 3 or"
          + " more with static K and N");
    }
    if (Facts.dtype(a) != DType.FLOAT || Facts.dtype(b) != DType.FLOAT) {
      return Match.fail(mm.value().name() + " is not float32");
    }
    Tensor bias = c == null ? null : c.constant();
    if (bias == null || bias.dtype() != DType.FLOAT || !isRowVector(bias.dims(), bd[1])) {
      return Match.fail((c == null ? "the bias" : c.name()) + " is not a constant float32 [N]"
          + " or [1, N] with N = " + bd[1]);
    }
    Node before = Matchers.soleProducer(a, "Reshape").ok() ? a.producer() : null;
    Node after = reshapeReading(add.output(0));
    if (after == null && Facts.staticDims(a) == null) {
      return Match.fail(a.name() + " has dynamic leading dims and no Reshape reads the sum"
          + " (restoring them would take a Shape subgraph)");
    }
    if (before == null && after == null) {
      return Match.fail("no Reshape produces " + a.name() + " or reads " + add.output(0).name()
          + ": the Reshapes around a Gemm would add a node");
    }
    return Match.of(new Found(mm.value(), c, before, after));
  }

  private static boolean isRowVector(long[] dims, long n) {
    return (dims.length == 1 && dims[0] == n) || (dims.length == 2 && dims[0] == 1
        && dims[1] == n);
  }

  /** The sole reader of {@code v} when it is a Reshape to a constant shape without 0, or null. */
  private static Node reshapeReading(Value v) {
    Node r = Rewriter.soleConsumer(v);
    if (r == null || !r.is("Reshape") || !r.domain().isEmpty() || r.input(0) != v) {
      return null;
    }
    long[] shape = Facts.constLongs(r.input(1));
    if (shape == null) {
      return null;
    }
    for (long d : shape) {
      if (d == 0) {
        return null;
      }
    }
    return r;
  }

  @Override
  public void apply(Node add, Found f, Rewriter rw) {
    Value a = f.matmul().input(0);
    Value b = f.matmul().input(1);
    long k = Facts.lastDim(a);
    Value source = f.before() == null ? a : f.before().input(0);
    long[] sd = Facts.staticDims(source);
    Value rows = source;
    if (sd == null || sd.length != 2 || sd[1] != k) {
      Node flatten = rw.insertBefore(add, "Reshape", List.of(source, rw.constant(add.graph(),
          Tensor.ofLongs(new long[] {2}, -1, k), add.name() + "_rows")), 1, Map.of(),
          a.name() + "_rows");
      rw.setName(flatten, add.name() + "_rows");
      rw.inferTypes(flatten);
      rows = flatten.output(0);
    }
    Node gemm = rw.insertBefore(add, "Gemm", List.of(rows, b, f.bias()), 1, Map.of(),
        add.output(0).name() + "_gemm");
    rw.setName(gemm, f.matmul().name());
    rw.inferTypes(gemm);
    if (f.after() != null) {
      rw.setInput(f.after(), 0, gemm.output(0));
    } else {
      long[] dims = Facts.staticDims(a);
      dims[dims.length - 1] = Facts.staticDims(b)[1];
      rw.replaceWithNew(add, add.output(0), "Reshape", List.of(gemm.output(0),
          rw.constant(add.graph(), Tensor.ofLongs(new long[] {dims.length}, dims),
              add.name() + "_shape")), Map.of(), add.name());
    }
    rw.erase(add);
    rw.erase(f.matmul());
    if (f.before() != null) {
      rw.erase(f.before());
    }
  }
}

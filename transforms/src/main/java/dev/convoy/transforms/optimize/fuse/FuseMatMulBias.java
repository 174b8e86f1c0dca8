package dev.convoy.transforms.optimize.fuse;

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
import java.util.List;
import java.util.Map;

/**
 * {@code Add(MatMul(A, B), c)} (either operand order) with float32 operands of rank 2 or more
 * and a constant {@code c} that is a vector over the product's last axis ({@code [N]}, or
 * {@code [1, ..., 1, N]} of no higher rank than the product) becomes {@code
 * convoy::FusedMatMul(A, B, c)}, which adds the bias in the same pass that writes the product:
 * the transformers' projections at any rank, where Gemm (rank 2 only) cannot go. The product must
 * feed only the Add. Only for the {@code cvy} target.
 */
public final class FuseMatMulBias implements MatchingRule<FuseMatMulBias.Found> {
  public static final String NAME = "fuse-matmul-bias";

  /** The MatMul and the bias operand of the Add. */
  public record Found(Node matmul, Value bias) {}

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
    if (!rw.options().target().convoyOps()) {
      return Match.fail("the target allows no convoy ops");
    }
    String why = "neither operand is a MatMul product";
    for (int side = 0; side < 2; side++) {
      Node producer = add.input(side) == null ? null : add.input(side).producer();
      if (producer == null || !producer.is("MatMul") || !producer.domain().isEmpty()) {
        continue;
      }
      Match<Node> mm = Matchers.soleProducer(add.input(side), "MatMul");
      if (!mm.ok() || producer.graph() != add.graph()) {
        why = mm.ok() ? "the MatMul is in an enclosing graph" : mm.reason();
        continue;
      }
      Value product = add.input(side);
      Value c = add.input(1 - side);
      int rank = Facts.rank(product);
      Tensor t = c == null ? null : c.constant();
      if (t == null) {
        why = "the other operand of " + add + " is not a constant";
      } else if (Facts.dtype(product) != DType.FLOAT || t.dtype() != DType.FLOAT
          || Facts.rank(mm.value().input(0)) < 2 || Facts.rank(mm.value().input(1)) < 2) {
        why = "the product is not a float32 matrix product of rank 2 or more";
      } else if (!isRowVector(t.dims(), rank, Facts.lastDim(product))) {
        why = c.name() + " is not a vector over the last axis of " + product.name();
      } else {
        return Match.of(new Found(mm.value(), c));
      }
    }
    return Match.fail(why);
  }

  /** Whether {@code c} is {@code [1, ..., 1, n]} of rank at most {@code rank}, n known. */
  static boolean isRowVector(long[] c, int rank, long n) {
    if (c.length == 0 || c.length > rank || n < 0 || c[c.length - 1] != n) {
      return false;
    }
    for (int i = 0; i < c.length - 1; i++) {
      if (c[i] != 1) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void apply(Node add, Found f, Rewriter rw) {
    Node mm = f.matmul();
    Value bias = f.bias();
    Tensor t = bias.constant();
    if (t.rank() != 1) {
      bias = rw.constant(add.graph(),
          Tensor.of(t.dtype(), new long[] {t.dims()[t.rank() - 1]}, t.data()), bias.name());
    }
    rw.fuse(add, List.of(add, mm), OpCatalog.CONVOY_DOMAIN, 1, "FusedMatMul",
        List.of(mm.input(0), mm.input(1), bias), Map.of(), mm.name(), List.of(add.output(0)));
  }
}

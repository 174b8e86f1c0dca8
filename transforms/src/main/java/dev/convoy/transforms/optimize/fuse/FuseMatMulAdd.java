package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.constant;
import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.List;
import java.util.Map;

/**
 * {@code Add(MatMul(A, B), C)} with rank-2 float {@code A} and {@code B} (B of static sizes; A's
 * row count may be symbolic, as a dynamic batch is) and a constant {@code C} that broadcasts into
 * the product's shape {@code [M, N]} (along a symbolic M only as size 1) is {@code Gemm(A, B, C)}. The product
 * must feed only the Add. (Higher-rank MatMuls would need reshapes around the Gemm; left alone.)
 */
public final class FuseMatMulAdd implements TreeRule<Binding> {
  public static final String NAME = "fuse-matmul-add";

  private static final PatternTree TREE =
      op("Add", op("MatMul", var("a"), var("b")).named("matmul"), constant("c"));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Binding> check(Binding m, Rewriter rw) {
    long[] b = Facts.staticDims(m.value("b"));
    if (Facts.rank(m.value("a")) != 2 || b == null || b.length != 2) {
      return Match.fail("the MatMul's operands are not of rank 2 (B static)");
    }
    var rows = Facts.shape(m.value("a")).dim(0);
    long[] a = {rows.isStatic() ? rows.size() : -1, b[0]};
    if (Facts.dtype(m.value("a")) != DType.FLOAT
        || m.value("c").constant().dtype() != DType.FLOAT) {
      return Match.fail("the MatMul or the added constant is not float32");
    }
    if (!broadcastsInto(m.value("c").constant().dims(), a[0], b[1])) {
      return Match.fail(m.value("c").name() + " does not broadcast into ["
          + (a[0] < 0 ? "M" : a[0]) + ", " + b[1] + "]");
    }
    return Match.of(m);
  }

  private static boolean broadcastsInto(long[] c, long m, long n) {
    if (c.length > 2) {
      return false;
    }
    long[] target = {m, n};
    for (int i = 0; i < c.length; i++) {
      long t = target[2 - c.length + i];
      if (c[i] != 1 && (t < 0 || c[i] != t)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void apply(Node add, Binding m, Rewriter rw) {
    Node mm = m.node("matmul");
    rw.replaceWithNew(add, add.output(0), "Gemm",
        List.of(m.value("a"), m.value("b"), m.value("c")), Map.of(), mm.name());
    rw.erase(add);
    rw.erase(mm);
  }
}

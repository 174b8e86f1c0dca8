package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;
import java.util.Map;

/**
 * {@code Add(MatMul(A, B), C)} with rank-2 float {@code A} and {@code B} and a constant {@code C}
 * that broadcasts into the product's shape {@code [M, N]} is {@code Gemm(A, B, C)}. The product
 * must feed only the Add. (Higher-rank MatMuls would need reshapes around the Gemm; left alone.)
 */
public final class FuseMatMulAdd implements Rule {
  public static final String NAME = "fuse-matmul-add";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add");
  }

  @Override
  public boolean matches(Node add, Rewriter rw) {
    return matmulSide(add) >= 0;
  }

  /** Which input of {@code add} is the fusable MatMul product, or -1. */
  private static int matmulSide(Node add) {
    for (int side = 0; side < 2; side++) {
      Value product = add.input(side);
      Value c = add.input(1 - side);
      Node mm = product == null ? null : product.producer();
      if (mm == null || !mm.is("MatMul") || Rewriter.soleConsumer(product) == null
          || c == null || c.constant() == null) {
        continue;
      }
      long[] a = Facts.staticDims(mm.input(0));
      long[] b = Facts.staticDims(mm.input(1));
      if (a == null || b == null || a.length != 2 || b.length != 2
          || Facts.dtype(mm.input(0)) != DType.FLOAT || c.constant().dtype() != DType.FLOAT) {
        continue;
      }
      if (broadcastsInto(c.constant().dims(), a[0], b[1])) {
        return side;
      }
    }
    return -1;
  }

  private static boolean broadcastsInto(long[] c, long m, long n) {
    if (c.length > 2) {
      return false;
    }
    long[] target = {m, n};
    for (int i = 0; i < c.length; i++) {
      long t = target[2 - c.length + i];
      if (c[i] != 1 && c[i] != t) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void rewrite(Node add, Rewriter rw) {
    int side = matmulSide(add);
    Node mm = add.input(side).producer();
    rw.replaceWithNew(add, add.output(0), "Gemm",
        List.of(mm.input(0), mm.input(1), add.input(1 - side)), Map.of(), mm.name());
    rw.erase(add);
    rw.erase(mm);
  }
}

package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.WeightCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Matrix products: MatMul (numpy matmul: 1-D operands promoted, batch dims broadcast) and Gemm
 * ({@code alpha * A' B' + beta * C}). Float math runs on {@link Blas#sgemm}; float16/bfloat16 go
 * through float arrays, integers through 64-bit accumulation.
 */
public final class MatMulGemm implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("MatMul", 1).inputs(2).shape(MatMulGemm::matMulShape).kernel(ctx -> {
      NdArray a = ctx.tensor(0);
      NdArray b = ctx.tensor(1);
      Kernels.requireSameType(ctx, a, b);
      return one(matMul(ctx, a, b));
    });
    r.op("Gemm", 7).inputs(2, 3).attr("alpha", 1.0f).attr("beta", 1.0f)
        .attr("transA", 0L).attr("transB", 0L)
        .shape(MatMulGemm::gemmShape)
        .kernel(ctx -> one(gemm(ctx)));
  }

  // ---- shapes ----

  private static List<ValueType> matMulShape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    Shape a = ctx.shape(0);
    Shape b = ctx.shape(1);
    if (!a.hasRank() || !b.hasRank()) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    if (a.rank() == 0 || b.rank() == 0) {
      throw ctx.contradiction("MatMul operands must have rank >= 1, got " + a + " and " + b);
    }
    List<Dim> da = new ArrayList<>(a.dims());
    List<Dim> db = new ArrayList<>(b.dims());
    boolean aVec = da.size() == 1;
    boolean bVec = db.size() == 1;
    if (aVec) {
      da.add(0, Dim.of(1));
    }
    if (bVec) {
      db.add(Dim.of(1));
    }
    Dim ka = da.get(da.size() - 1);
    Dim kb = db.get(db.size() - 2);
    if (ka.isStatic() && kb.isStatic() && ka.size() != kb.size()) {
      throw ctx.contradiction("MatMul inner dimensions differ: " + a + " x " + b);
    }
    Shape batch = ShapeFns.broadcastShapes(Shape.of(da.subList(0, da.size() - 2)),
        Shape.of(db.subList(0, db.size() - 2)));
    List<Dim> out = new ArrayList<>(batch.dims());
    if (!aVec) {
      out.add(da.get(da.size() - 2));
    }
    if (!bVec) {
      out.add(db.get(db.size() - 1));
    }
    return ShapeFns.tensor(t, Shape.of(out));
  }

  private static List<ValueType> gemmShape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    Shape a = ctx.shape(0);
    Shape b = ctx.shape(1);
    Dim m = Dim.UNKNOWN;
    Dim n = Dim.UNKNOWN;
    if (a.hasRank()) {
      if (a.rank() != 2) {
        throw ctx.contradiction("Gemm input A must be 2-D, got " + a);
      }
      m = a.dim(ctx.attrLong("transA") != 0 ? 1 : 0);
    }
    if (b.hasRank()) {
      if (b.rank() != 2) {
        throw ctx.contradiction("Gemm input B must be 2-D, got " + b);
      }
      n = b.dim(ctx.attrLong("transB") != 0 ? 0 : 1);
    }
    return ShapeFns.tensor(t, Shape.of(m, n));
  }

  // ---- kernels ----

  /**
   * The shape of a batched product {@code [..., m, k] x [..., k, n]}: its sizes, the broadcast
   * batch dimensions and, per output batch, the operand batches it reads (numpy broadcasting).
   * Shared by MatMul and the integer products of the Quantize family.
   */
  record BatchPlan(int m, int k, int n, long[] batch, int[] aIdx, int[] bIdx) {
    /** Plans {@code a x b} with the operand dims {@code ad}, {@code bd} (rank 2 or more). */
    static BatchPlan of(KernelContext ctx, NdArray a, NdArray b, long[] ad, long[] bd) {
      int m = (int) ad[ad.length - 2];
      int k = (int) ad[ad.length - 1];
      int n = (int) bd[bd.length - 1];
      if (bd[bd.length - 2] != k) {
        throw ctx.error("inner dimensions differ: " + a.describe() + " x " + b.describe());
      }
      long[] aBatch = Arrays.copyOf(ad, ad.length - 2);
      long[] bBatch = Arrays.copyOf(bd, bd.length - 2);
      long[] batch;
      try {
        batch = Broadcast.shape(aBatch, bBatch);
      } catch (dev.convoy.ir.ConvoyException e) {
        throw ctx.error("batch dimensions: " + e.getMessage());
      }
      return new BatchPlan(m, k, n, batch, Broadcast.indexMap(aBatch, batch),
          Broadcast.indexMap(bBatch, batch));
    }
  }

  static NdArray matMul(KernelContext ctx, NdArray a, NdArray b) {
    long[] ad = a.dims();
    long[] bd = b.dims();
    if (ad.length == 0 || bd.length == 0) {
      throw ctx.error("MatMul operands must have rank >= 1, got " + a.describe() + " and "
          + b.describe());
    }
    boolean aVec = ad.length == 1;
    boolean bVec = bd.length == 1;
    if (aVec) {
      ad = new long[] {1, ad[0]};
    }
    if (bVec) {
      bd = new long[] {bd[0], 1};
    }
    BatchPlan plan = BatchPlan.of(ctx, a, b, ad, bd);
    int m = plan.m();
    int k = plan.k();
    int n = plan.n();
    long[] batch = plan.batch();
    int[] aIdx = plan.aIdx();
    int[] bIdx = plan.bIdx();
    int nb = aIdx.length;
    long[] outDims = new long[batch.length + (aVec ? 0 : 1) + (bVec ? 0 : 1)];
    System.arraycopy(batch, 0, outDims, 0, batch.length);
    int p = batch.length;
    if (!aVec) {
      outDims[p++] = m;
    }
    if (!bVec) {
      outDims[p] = n;
    }
    NdArray.checkedSize(outDims);
    Parallel par = ctx.parallel();
    boolean perBatch = nb >= par.threads() && nb > 1;
    Parallel inner = perBatch ? Parallel.serial() : par;
    Parallel outer = perBatch ? par : Parallel.serial();
    long work = (long) m * n * k;
    DType t = a.dtype();
    if (t == DType.FLOAT) {
      // Operands and product are read and written where they lie (arena views included).
      NdArray out = ctx.output(0, t, outDims);
      float[] x = (float[]) a.array();
      float[] y = (float[]) b.array();
      float[] o = (float[]) out.array();
      int a0 = a.offset();
      int b0 = b.offset();
      int o0 = out.offset();
      if (nb > 1 && sharedRightOperand(aIdx, bIdx)) {
        // [batch, m, k] x [k, n]: the batches of A are the consecutive rows of one [batch*m, k]
        // matrix and those of the product one [batch*m, n], so a single product covers them
        // with B packed once (tiny_vit's [65, 1, 128] x [128, 384] was 65 one-row products).
        Blas.sgemm(nb * m, n, k, x, a0, y, b0 + bIdx[0] * k * n, o, o0, par);
        return out;
      }
      outer.forRange(nb, work, (from, to) -> {
        for (int i = from; i < to; i++) {
          Blas.sgemm(m, n, k, x, a0 + aIdx[i] * m * k, y, b0 + bIdx[i] * k * n, o,
              o0 + i * m * n, inner);
        }
      });
      return out;
    }
    if (t.isFloatingPoint() && t != DType.DOUBLE) {
      float[] x = a.toFloats();
      float[] y = b.toFloats();
      float[] o = new float[nb * m * n];
      outer.forRange(nb, work, (from, to) -> {
        for (int i = from; i < to; i++) {
          Blas.sgemm(m, n, k, x, aIdx[i] * m * k, y, bIdx[i] * k * n, o, i * m * n, inner);
        }
      });
      return NdArray.fromFloats(t, outDims, o);
    }
    if (t == DType.DOUBLE) {
      double[] x = a.doubles();
      double[] y = b.doubles();
      double[] o = new double[nb * m * n];
      outer.forRange(nb, work, (from, to) -> {
        for (int i = from; i < to; i++) {
          Blas.dgemm(m, n, k, x, aIdx[i] * m * k, y, bIdx[i] * k * n, o, i * m * n, inner);
        }
      });
      return NdArray.wrap(t, outDims, o);
    }
    if (!t.isInteger()) {
      throw ctx.unsupportedType(t);
    }
    if (t == DType.INT32) {
      // Wrapping int32 sums equal the int64 ones truncated to 32 bits.
      int[] x = a.ints();
      int[] y = b.ints();
      int[] o = new int[nb * m * n];
      outer.forRange(nb, work, (from, to) -> {
        for (int i = from; i < to; i++) {
          Blas.igemm(m, n, k, x, aIdx[i] * m * k, y, bIdx[i] * k * n, o, i * m * n, inner);
        }
      });
      return NdArray.wrap(t, outDims, o);
    }
    long[] x = a.toLongs();
    long[] y = b.toLongs();
    long[] o = new long[nb * m * n];
    for (int i = 0; i < nb; i++) {
      Blas.lgemm(m, n, k, x, aIdx[i] * m * k, y, bIdx[i] * k * n, o, i * m * n);
    }
    return NdArray.fromLongs(t, outDims, o);
  }

  /**
   * Whether every output batch reads the same matrix of B and batch i of A is A's i-th matrix
   * (A carries the whole batch, B none of it).
   */
  private static boolean sharedRightOperand(int[] aIdx, int[] bIdx) {
    for (int i = 0; i < aIdx.length; i++) {
      if (aIdx[i] != i || bIdx[i] != bIdx[0]) {
        return false;
      }
    }
    return true;
  }

  private static NdArray gemm(KernelContext ctx) {
    NdArray a = ctx.tensor(0);
    NdArray b = ctx.tensor(1);
    NdArray c = ctx.optionalTensor(2);
    Kernels.requireSameType(ctx, a, b);
    if (a.rank() != 2 || b.rank() != 2) {
      throw ctx.error("A and B must be 2-D, got " + a.describe() + " and " + b.describe());
    }
    boolean ta = ctx.attrLong("transA") != 0;
    boolean tb = ctx.attrLong("transB") != 0;
    double alpha = ctx.attrFloat("alpha");
    double beta = ctx.attrFloat("beta");
    int m = (int) a.dim(ta ? 1 : 0);
    int k = (int) a.dim(ta ? 0 : 1);
    int kb = (int) b.dim(tb ? 1 : 0);
    int n = (int) b.dim(tb ? 0 : 1);
    if (k != kb) {
      throw ctx.error("inner dimensions differ: " + a.describe() + (ta ? "^T" : "") + " x "
          + b.describe() + (tb ? "^T" : ""));
    }
    long[] outDims = {m, n};
    DType t = a.dtype();
    if (c != null && c.dtype() != t) {
      throw ctx.error("C has element type " + c.dtype().textName() + ", A has " + t.textName());
    }
    int[] cIdx = null;
    if (c != null && beta != 0) {
      try {
        long[] bc = Broadcast.shape(c.dims(), outDims);
        if (!Arrays.equals(bc, outDims)) {
          throw ctx.error("C of shape " + c.shape() + " does not broadcast to " + m + "x" + n);
        }
      } catch (dev.convoy.ir.ConvoyException e) {
        throw ctx.error("C of shape " + c.shape() + " does not broadcast to [" + m + "," + n + "]");
      }
      cIdx = Broadcast.indexMap(c.dims(), outDims);
    }
    if (t.isFloatingPoint()) {
      boolean dbl = t == DType.DOUBLE;
      if (dbl) {
        double[] x = ta ? Blas.transpose(a.doubles(), 0, k, m) : a.doubles();
        double[] y = tb ? Blas.transpose(b.doubles(), 0, n, k) : b.doubles();
        double[] o = new double[m * n];
        Blas.dgemm(m, n, k, x, 0, y, 0, o, 0, ctx.parallel());
        finish(o, alpha, beta, c == null ? null : c.doubles(), cIdx);
        return NdArray.wrap(t, outDims, o);
      }
      if (t == DType.FLOAT) {
        return floatGemm(ctx, a, b, c, cIdx, ta, tb, (float) alpha, (float) beta, m, n, k);
      }
      float[] x = ta ? Blas.transpose(a.toFloats(), 0, k, m) : a.toFloats();
      float[] o = new float[m * n];
      if (tb && m <= DOT_ROWS) {
        dotRows(m, n, k, x, 0, b.toFloats(), 0, o, 0, ctx.parallel());
      } else {
        float[] y = tb ? Blas.transpose(b.toFloats(), 0, n, k) : b.toFloats();
        Blas.sgemm(m, n, k, x, 0, y, 0, o, 0, ctx.parallel());
      }
      epilogue(o, 0, m * n, (float) alpha, (float) beta, c == null ? null : c.toFloats(), 0,
          cIdx);
      return NdArray.fromFloats(t, outDims, o);
    }
    if (!t.isInteger()) {
      throw ctx.unsupportedType(t);
    }
    long[] x = ta ? Blas.transpose(a.toLongs(), 0, k, m) : a.toLongs();
    long[] y = tb ? Blas.transpose(b.toLongs(), 0, n, k) : b.toLongs();
    long[] o = new long[m * n];
    Blas.lgemm(m, n, k, x, 0, y, 0, o, 0);
    long[] cv = c == null ? null : c.toLongs();
    for (int i = 0; i < o.length; i++) {
      long v = (long) (alpha * o[i]);
      o[i] = cIdx == null ? v : v + (long) (beta * cv[cIdx[i]]);
    }
    return NdArray.fromLongs(t, outDims, o);
  }

  /**
   * Float32 Gemm read and written where its operands lie (arena views included): A transposed
   * is read through its strides, never copied; a transposed B that is a weight of the graph is
   * transposed once and kept in the evaluator's {@link dev.convoy.ir.ops.runtime.WeightCache}
   * (it was transposed on every run); {@code alpha} and {@code C} are applied to each element
   * in one pass over the product, which is the kernel's own output.
   */
  private static NdArray floatGemm(KernelContext ctx, NdArray a, NdArray b, NdArray c,
      int[] cIdx, boolean ta, boolean tb, float alpha, float beta, int m, int n, int k) {
    NdArray out = ctx.output(0, DType.FLOAT, new long[] {m, n});
    float[] o = (float[]) out.array();
    int o0 = out.offset();
    float[] x = (float[]) a.array();
    int x0 = a.offset();
    float[] y = (float[]) b.array();
    int y0 = b.offset();
    Parallel par = ctx.parallel();
    if (tb && m <= DOT_ROWS && !ctx.isWeight(1)) {
      // A few rows against a [N, K] matrix computed at run time: dot products read B as it is
      // stored (a transposed copy would cost as much as the product).
      float[] xs = ta ? Blas.transpose(x, x0, k, m) : x;
      dotRows(m, n, k, xs, ta ? 0 : x0, y, y0, o, o0, par);
    } else if (tb && m <= DOT_ROWS) {
      // A few rows against a [N, K] weight (a classifier head): its transpose, made once, read
      // in column blocks with no packing.
      float[] xs = ta ? Blas.transpose(x, x0, k, m) : x;
      float[] stored = y;
      WeightCache.Transposition t = new WeightCache.Transposition(y0, n, k);
      Blas.fewRows(m, n, k, xs, ta ? 0 : x0, ctx.weightForm(1, stored, t, () -> t.of(stored)), 0,
          o, o0, par);
    } else {
      int yOff = y0;
      if (tb) {
        float[] stored = y;
        WeightCache.Transposition t = new WeightCache.Transposition(y0, n, k);
        y = ctx.weightForm(1, stored, t, () -> t.of(stored));
        yOff = 0;
      }
      // A^T's element (i, kk) is stored at kk * m + i.
      Blas.sgemm(m, n, k, x, x0, ta ? 1 : k, ta ? m : 1, y, yOff, n, o, o0, n, par);
    }
    epilogue(o, o0, m * n, alpha, beta, c == null ? null : (float[]) c.array(),
        c == null ? 0 : c.offset(), cIdx);
    return out;
  }

  /** {@code o[o0 + i] = alpha * o[o0 + i] + beta * c[c0 + cIdx[i]]} (C omitted: no term). */
  private static void epilogue(float[] o, int o0, int size, float alpha, float beta, float[] c,
      int c0, int[] cIdx) {
    for (int i = 0; i < size; i++) {
      float v = alpha == 1f ? o[o0 + i] : alpha * o[o0 + i];
      o[o0 + i] = cIdx == null ? v : v + beta * c[c0 + cIdx[i]];
    }
  }

  /** At most this many rows of A use {@link #dotRows} for a transposed B. */
  private static final int DOT_ROWS = 8;

  /**
   * {@code C[m,n] = A[m,k] * B[n,k]^T} as dot products, four columns at a time; each sum runs
   * in k order from zero, a multiply and an add per term.
   */
  private static void dotRows(int m, int n, int k, float[] a, int a0, float[] b, int bo,
      float[] c, int c0, Parallel par) {
    int quads = (n + 3) / 4;
    par.forRange(quads, 4L * m * k, (from, to) -> {
      for (int q = from; q < to; q++) {
        int j = 4 * q;
        for (int i = 0; i < m; i++) {
          int ar = a0 + i * k;
          int cr = c0 + i * n;
          if (j + 3 < n) {
            int b0 = bo + j * k;
            int b1 = b0 + k;
            int b2 = b1 + k;
            int b3 = b2 + k;
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            for (int kk = 0; kk < k; kk++) {
              float av = a[ar + kk];
              s0 += av * b[b0 + kk];
              s1 += av * b[b1 + kk];
              s2 += av * b[b2 + kk];
              s3 += av * b[b3 + kk];
            }
            c[cr + j] = s0;
            c[cr + j + 1] = s1;
            c[cr + j + 2] = s2;
            c[cr + j + 3] = s3;
          } else {
            for (int jj = j; jj < n; jj++) {
              float s = 0;
              for (int kk = 0; kk < k; kk++) {
                s += a[ar + kk] * b[bo + jj * k + kk];
              }
              c[cr + jj] = s;
            }
          }
        }
      }
    });
  }

  private static void finish(double[] o, double alpha, double beta, double[] c, int[] cIdx) {
    for (int i = 0; i < o.length; i++) {
      double v = alpha * o[i];
      o[i] = cIdx == null ? v : v + beta * c[cIdx[i]];
    }
  }
}

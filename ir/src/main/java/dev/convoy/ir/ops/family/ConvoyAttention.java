package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convoy's scaled dot-product attention core, {@code convoy::Attention(Q, Kt, V, mask?)} with a
 * float {@code scale}: exactly {@code MatMul(Softmax(scale * MatMul(Q, Kt) + mask, last axis),
 * V)}, the block every transformer exporter writes between its head split and head merge, so it
 * takes what that block takes: Q {@code [..., Sq, D]}, the keys already transposed {@code [...,
 * D, Skv]} (MatMul's right operand), V {@code [..., Skv, Dv]}, an additive mask broadcasting
 * against the scores {@code [..., Sq, Skv]}; the leading (batch, head) dims of all four broadcast
 * as MatMul's and Add's do. Output {@code [..., Sq, Dv]}.
 *
 * <p>With {@code num_heads = H > 0} it also takes the head split and merge around that block,
 * as ONNX Runtime's MultiHeadAttention does: Q {@code [..., Sq, H*D]}, the keys untransposed
 * {@code [..., Skv, H*D]}, V {@code [..., Skv, H*Dv]} (equal leading dims), the mask broadcasting
 * against the scores {@code [..., H, Sq, Skv]}, output {@code [..., Sq, H*Dv]}: exactly the split
 * form between {@code Transpose(Reshape(x, [..., S, H, D]))} of each input and the inverse after.
 * The kernel reads each head's columns in place, so the head transposes never materialize.
 *
 * <p>The float32 kernel holds the scores of up to 128 query rows at a time: it computes them
 * with {@link Blas#sgemm} (the MatMul kernel's product, register-blocked on the Vector API where
 * present) from Q and Kt where they lie, applies scale and mask, takes the softmax in place and
 * multiplies by V with {@link Blas#sgemm} into the output rows. The products are the MatMul
 * kernel's (one fused multiply-add per term in k order) and the softmax is the Softmax kernel's
 * (in double), so every value agrees with the unfused ops up to where the scale is applied: a
 * float32 exp approximation (one ulp) was tried and flipped quantization steps downstream on
 * all-minilm-l6-v2-q. Its ONNX expansion is the five ops above ({@code ExpandConvoyOps}).
 */
public final class ConvoyAttention implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "Attention", 1).inputs(3, 4).attr("scale", 1.0f)
        .attr("num_heads", 0L).shape(ConvoyAttention::shape).kernel(ConvoyAttention::attention);
    r.op(ConvoyFused.MICROSOFT, "MultiHeadAttention", 1).inputs(3, 6).outputs(1)
        .requiredAttr("num_heads").optionalAttr("scale").attr("mask_filter_value", -10000.0f)
        .attr("unidirectional", 0L).shape(ConvoyAttention::shape)
        .kernel(ConvoyAttention::multiHead);
  }

  /**
   * The form of ONNX Runtime's MultiHeadAttention that {@code --onnx-ops ort} writes: separate
   * query, key and value {@code [B, S, H*D]} and an optional additive {@code attention_bias}
   * (input 5); no packed inputs, projection bias, key padding mask or past state.
   */
  private static List<RuntimeValue> multiHead(KernelContext ctx) {
    if (ctx.hasInput(3) || ctx.hasInput(4) || ctx.attrLong("unidirectional") != 0) {
      throw new dev.convoy.ir.UnsupportedOpException(ctx.where() + ": MultiHeadAttention with a"
          + " bias, key padding mask or unidirectional is not supported");
    }
    NdArray q = ctx.tensor(0);
    int h = (int) ctx.attrLong("num_heads");
    float scale = ctx.hasAttr("scale") ? ctx.attrFloat("scale")
        : (float) (1 / Math.sqrt(q.dims()[q.rank() - 1] / (double) h));
    for (NdArray x : List.of(q, ctx.tensor(1), ctx.tensor(2))) {
      if (x.dtype() != DType.FLOAT || x.rank() != 3) {
        throw new dev.convoy.ir.UnsupportedOpException(ctx.where() + ": MultiHeadAttention of "
            + x.describe() + " is not supported (float32 [B, S, H*D] only)");
      }
    }
    NdArray bias = ctx.optionalTensor(5);
    if (bias != null && bias.dtype() != DType.FLOAT) {
      throw new dev.convoy.ir.UnsupportedOpException(ctx.where() + ": attention_bias of "
          + bias.dtype().textName() + " is not supported (float32 only)");
    }
    return heads(ctx, q, ctx.tensor(1), ctx.tensor(2), bias, h, scale);
  }

  /** {@code s} with dim {@code fromEnd} (1 = last) replaced by {@code d}. */
  private static Shape withDim(Shape s, int fromEnd, Dim d) {
    List<Dim> dims = new ArrayList<>(s.dims());
    dims.set(dims.size() - fromEnd, d);
    return Shape.of(dims);
  }

  private static List<ValueType> shape(InferenceContext ctx) {
    DType dt = ctx.dtype(0);
    Shape q = ctx.shape(0);
    Shape kt = ctx.shape(1);
    Shape v = ctx.shape(2);
    if (dt == null || !q.hasRank() || !kt.hasRank() || !v.hasRank()) {
      return null;
    }
    long heads = ctx.attrLong("num_heads");
    if (heads > 0) {
      return headsShape(ctx, dt, heads, q, kt, v);
    }
    if (q.rank() < 2 || kt.rank() < 2 || v.rank() < 2) {
      throw ctx.contradiction("Q " + q + ", Kt " + kt + " and V " + v + " must have rank 2 or more");
    }
    Dim one = Dim.of(1);
    Shape scores = ShapeFns.broadcastShapes(withDim(q, 1, one), withDim(kt, 2, one));
    if (ctx.hasInput(3)) {
      scores = ShapeFns.broadcastShapes(scores, ctx.shape(3));
    }
    if (!scores.hasRank()) {
      return null;
    }
    Shape y = ShapeFns.broadcastShapes(withDim(scores, 1, one), withDim(v, 2, one));
    return ShapeFns.tensor(dt, y);
  }

  /**
   * The merged-heads form: Q {@code [..., Sq, H*D]}, K {@code [..., Skv, H*D]}, V {@code [...,
   * Skv, H*Dv]} with equal leading dims give {@code [..., Sq, H*Dv]}.
   */
  private static List<ValueType> headsShape(InferenceContext ctx, DType dt, long heads, Shape q,
      Shape k, Shape v) {
    if (q.rank() < 2 || k.rank() != q.rank() || v.rank() != q.rank()) {
      throw ctx.contradiction("Q " + q + ", K " + k + " and V " + v
          + " must have one rank of 2 or more");
    }
    for (Shape s : List.of(q, k, v)) {
      Dim last = s.dim(s.rank() - 1);
      if (last.isStatic() && last.size() % heads != 0) {
        throw ctx.contradiction(s + " does not split into " + heads + " heads");
      }
    }
    return ShapeFns.tensor(dt, withDim(q, 1, v.dim(v.rank() - 1)));
  }

  /** Element strides of {@code dims} right-aligned in {@code rank} dims, 0 where broadcast. */
  private static int[] strides(long[] dims, long[] out, int rank) {
    int[] st = new int[rank];
    int s = 1;
    for (int i = rank - 1, k = dims.length - 1; i >= 0; i--, k--) {
      long d = k >= 0 ? dims[k] : 1;
      st[i] = d == 1 && out[i] != 1 ? 0 : s;
      s *= (int) d;
    }
    return st;
  }

  /** {@code dims} left-padded with 1s to {@code rank}. */
  private static long[] padded(long[] dims, int rank) {
    long[] p = new long[rank];
    Arrays.fill(p, 1);
    System.arraycopy(dims, 0, p, rank - dims.length, dims.length);
    return p;
  }

  private static long broadcast(KernelContext ctx, long a, long b, String what) {
    if (a == b || b == 1) {
      return a;
    }
    if (a == 1) {
      return b;
    }
    throw ctx.error(what + " sizes " + a + " and " + b + " do not broadcast");
  }

  private static List<RuntimeValue> attention(KernelContext ctx) {
    NdArray q = ctx.tensor(0);
    NdArray kt = ctx.tensor(1);
    NdArray v = ctx.tensor(2);
    NdArray mask = ctx.optionalTensor(3);
    for (NdArray x : mask == null ? List.of(q, kt, v) : List.of(q, kt, v, mask)) {
      if (x.dtype() != DType.FLOAT) {
        throw new dev.convoy.ir.UnsupportedOpException(ctx.where() + ": convoy Attention of "
            + x.dtype().textName() + " is not supported (float32 only)");
      }
    }
    if (q.rank() < 2 || kt.rank() < 2 || v.rank() < 2) {
      throw ctx.error("Q " + q.describe() + ", Kt " + kt.describe() + " and V " + v.describe()
          + " must have rank 2 or more");
    }
    if (ctx.attrLong("num_heads") > 0) {
      return heads(ctx, q, kt, v, mask, (int) ctx.attrLong("num_heads"), ctx.attrFloat("scale"));
    }
    int rank = Math.max(Math.max(q.rank(), kt.rank()), Math.max(v.rank(),
        mask == null ? 2 : Math.max(2, mask.rank())));
    long[] qd = padded(q.dims(), rank);
    long[] kd = padded(kt.dims(), rank);
    long[] vd = padded(v.dims(), rank);
    long[] md = mask == null ? null : padded(mask.dims(), rank);
    int d = (int) qd[rank - 1];
    int skv = (int) kd[rank - 1];
    int dv = (int) vd[rank - 1];
    if (kd[rank - 2] != d || vd[rank - 2] != skv) {
      throw ctx.error("Q " + q.describe() + ", Kt " + kt.describe() + " and V " + v.describe()
          + " do not chain as Q Kt V");
    }
    long[] out = new long[rank];
    for (int i = 0; i < rank - 2; i++) {
      out[i] = broadcast(ctx, broadcast(ctx, qd[i], kd[i], "batch"), vd[i], "batch");
      if (md != null) {
        out[i] = broadcast(ctx, out[i], md[i], "mask batch");
      }
    }
    int sq = (int) (md == null ? qd[rank - 2] : broadcast(ctx, qd[rank - 2], md[rank - 2], "query"));
    if (md != null && md[rank - 1] != 1 && md[rank - 1] != skv) {
      throw ctx.error("mask " + mask.describe() + " does not broadcast over " + skv + " keys");
    }
    out[rank - 2] = sq;
    out[rank - 1] = dv;
    int[] qs = strides(qd, out, rank);
    int[] ks = strides(kd, out, rank);
    int[] vs = strides(vd, out, rank);
    int[] ms = md == null ? null : strides(md, out, rank);
    NdArray result = ctx.output(0, DType.FLOAT, out);
    float scale = ctx.attrFloat("scale");
    // Inputs and output may be views of the memory plan's arena: read and write them in place.
    Rows rows = new Rows((float[]) q.array(), (float[]) kt.array(), (float[]) v.array(),
        mask == null ? null : (float[]) mask.array(), (float[]) result.array(), d, skv, dv, sq,
        d, dv, scale, qd[rank - 2] == 1, md != null && md[rank - 2] == 1,
        md != null && md[rank - 1] == 1, ms == null ? 0 : ms[rank - 2]);
    int batches = (int) Shape.product(out, 0, rank - 2);
    long[] index = new long[rank - 2];
    for (int b = 0; b < batches; b++) {
      int qo = q.offset();
      int ko = kt.offset();
      int vo = v.offset();
      int mo = mask == null ? 0 : mask.offset();
      for (int i = 0; i < rank - 2; i++) {
        qo += (int) index[i] * qs[i];
        ko += (int) index[i] * ks[i];
        vo += (int) index[i] * vs[i];
        if (ms != null) {
          mo += (int) index[i] * ms[i];
        }
      }
      rows.run(qo, (float[]) kt.array(), ko, vo, dv, mo, result.offset() + b * sq * dv);
      for (int i = rank - 3; i >= 0; i--) {
        if (++index[i] < out[i]) {
          break;
        }
        index[i] = 0;
      }
    }
    return Kernels.one(result);
  }

  /**
   * The merged-heads form: head {@code h} of Q, K and V is columns {@code h*D .. (h+1)*D} of
   * their rows, read in place (no head transposes); the mask broadcasts against the scores {@code
   * [..., H, Sq, Skv]}. The same row loops as the split form, so the same results bit for bit.
   */
  private static List<RuntimeValue> heads(KernelContext ctx, NdArray q, NdArray k, NdArray v,
      NdArray mask, int h, float scale) {
    int rank = q.rank();
    long[] qd = q.dims();
    long[] kd = k.dims();
    long[] vd = v.dims();
    if (kd.length != rank || vd.length != rank
        || !Arrays.equals(qd, 0, rank - 2, kd, 0, rank - 2)
        || !Arrays.equals(qd, 0, rank - 2, vd, 0, rank - 2)
        || kd[rank - 1] != qd[rank - 1] || vd[rank - 2] != kd[rank - 2]
        || qd[rank - 1] % h != 0 || vd[rank - 1] % h != 0) {
      throw ctx.error("Q " + q.describe() + ", K " + k.describe() + " and V " + v.describe()
          + " are not [..., Sq, H*D], [..., Skv, H*D], [..., Skv, H*Dv] with H = " + h);
    }
    int hd = (int) qd[rank - 1];
    int hdv = (int) vd[rank - 1];
    int d = hd / h;
    int dv = hdv / h;
    int sq = (int) qd[rank - 2];
    int skv = (int) kd[rank - 2];
    // The scores' dims [..., H, Sq, Skv], against which the mask broadcasts.
    int srank = rank + 1;
    long[] sd = new long[srank];
    System.arraycopy(qd, 0, sd, 0, rank - 2);
    sd[srank - 3] = h;
    sd[srank - 2] = sq;
    sd[srank - 1] = skv;
    long[] md = mask == null ? null : padded(mask.dims(), Math.max(srank, mask.rank()));
    if (md != null) {
      boolean ok = md.length == srank;
      for (int i = 0; ok && i < srank; i++) {
        ok = md[i] == 1 || md[i] == sd[i];
      }
      if (!ok) {
        throw ctx.error("mask " + mask.describe() + " does not broadcast against the scores "
            + Arrays.toString(sd));
      }
    }
    int[] ms = md == null ? null : strides(md, sd, srank);
    long[] out = qd.clone();
    out[rank - 1] = hdv;
    NdArray result = ctx.output(0, DType.FLOAT, out);
    Rows rows = new Rows((float[]) q.array(), (float[]) k.array(), (float[]) v.array(),
        mask == null ? null : (float[]) mask.array(), (float[]) result.array(), d, skv, dv, sq,
        hd, hdv, scale, false, md != null && md[srank - 2] == 1,
        md != null && md[srank - 1] == 1, ms == null ? 0 : ms[srank - 2]);
    int batches = (int) Shape.product(qd, 0, rank - 2);
    long[] index = new long[srank - 2];
    for (int b = 0; b < batches; b++) {
      for (int head = 0; head < h; head++) {
        index[srank - 3] = head;
        int mo = mask == null ? 0 : mask.offset();
        for (int i = 0; ms != null && i < srank - 2; i++) {
          mo += (int) index[i] * ms[i];
        }
        float[] keys = rows.transposedKeys(k.offset() + b * skv * hd + head * d, hd);
        rows.run(q.offset() + b * sq * hd + head * d, keys, 0, v.offset() + b * skv * hdv
            + head * dv, hdv, mo, result.offset() + b * sq * hdv + head * dv);
      }
      for (int i = srank - 4; i >= 0; i--) {
        if (++index[i] < sd[i]) {
          break;
        }
        index[i] = 0;
      }
    }
    return Kernels.one(result);
  }

  /**
   * The per-(batch, head) work, per block of query rows: their scores {@code Q Kt} by {@link
   * Blas#sgemm}, scale, mask and softmax row by row in place, then their output {@code P V} by
   * {@link Blas#sgemm} straight into the output rows: the products the MatMul kernel computes for the
   * unfused block (the same sums in the same order), over operands read where they lie.
   */
  private static final class Rows {
    private final float[] q;
    private final float[] kt;
    private final float[] v;
    private final float[] mask;
    private final float[] y;
    private final int d;
    private final int skv;
    private final int dv;
    private final int sq;
    /** Distance between consecutive rows of Q, and of the output. */
    private final int qRow;
    private final int yRow;
    private final float scale;
    private final boolean oneQuery;
    private final boolean oneMaskRow;
    private final boolean oneMaskCol;
    private final int maskRowStride;
    /** One head's keys transposed to {@code [d, skv]} (the merged-heads form only). */
    private float[] keys;
    /**
     * Query rows per block: the scores of one block are held at a time, so long sequences need
     * no {@code [Sq, Skv]} buffer.
     */
    private static final int MAX_BLOCK_ROWS = 128;
    private final int rowsPerBlock;
    /** The scores, then the probabilities, of one block of query rows {@code [rows, skv]}. */
    private final float[] s;
    /** The exponentials of one row. */
    private final double[] ex;

    Rows(float[] q, float[] kt, float[] v, float[] mask, float[] y, int d, int skv, int dv,
        int sq, int qRow, int yRow, float scale, boolean oneQuery, boolean oneMaskRow,
        boolean oneMaskCol, int maskRowStride) {
      this.q = q;
      this.kt = kt;
      this.v = v;
      this.mask = mask;
      this.y = y;
      this.d = d;
      this.skv = skv;
      this.dv = dv;
      this.sq = sq;
      this.qRow = qRow;
      this.yRow = yRow;
      this.scale = scale;
      this.oneQuery = oneQuery;
      this.oneMaskRow = oneMaskRow;
      this.oneMaskCol = oneMaskCol;
      this.maskRowStride = maskRowStride;
      // Blocks of at most MAX_BLOCK_ROWS query rows, as even as whole register tiles allow.
      int blocks = Math.max(1, (sq + MAX_BLOCK_ROWS - 1) / MAX_BLOCK_ROWS);
      this.rowsPerBlock = Math.max(4, ((sq + blocks - 1) / blocks + 3) / 4 * 4);
      this.s = new float[Math.min(sq, rowsPerBlock) * skv];
      this.ex = new double[skv];
    }

    /**
     * The keys of one head of the merged form, {@code d} columns from {@code ko} of rows
     * {@code kRow} apart, transposed into {@link #keys}.
     */
    float[] transposedKeys(int ko, int kRow) {
      if (keys == null) {
        keys = new float[d * skv];
      }
      for (int j = 0; j < skv; j++) {
        int row = ko + j * kRow;
        for (int x = 0; x < d; x++) {
          keys[x * skv + j] = kt[row + x];
        }
      }
      return keys;
    }

    /**
     * One (batch, head): Q from {@code qo}, Kt {@code [d, skv]} at {@code b[bo]} (row stride
     * skv), V from {@code vo} with rows {@code vRow} apart, the mask from {@code mo}, the output
     * rows from {@code yo}.
     */
    void run(int qo, float[] b, int bo, int vo, int vRow, int mo, int yo) {
      Parallel serial = Parallel.serial();
      for (int i0 = 0; i0 < sq; i0 += rowsPerBlock) {
        int rows = Math.min(rowsPerBlock, sq - i0);
        int qi = qo + (oneQuery ? 0 : i0 * qRow);
        Arrays.fill(s, 0, rows * skv, 0f);
        Blas.sgemm(rows, skv, d, q, qi, oneQuery ? 0 : qRow, 1, b, bo, skv, s, 0, skv, serial);
        for (int r = 0; r < rows; r++) {
          softmax(r * skv, mo, i0 + r);
        }
        int yi = yo + i0 * yRow;
        for (int r = 0; r < rows; r++) {
          Arrays.fill(y, yi + r * yRow, yi + r * yRow + dv, 0f);
        }
        Blas.sgemm(rows, dv, skv, s, 0, skv, 1, v, vo, vRow, y, yi, yRow, serial);
      }
    }

    /** Scale, mask and the softmax of the row of scores at {@code s[r]}, in place. */
    private void softmax(int r, int mo, int i) {
      float[] sr = s;
      int end = r + skv;
      for (int j = r; j < end; j++) {
        sr[j] *= scale;
      }
      if (mask != null) {
        int mRow = mo + (oneMaskRow ? 0 : i * maskRowStride);
        if (oneMaskCol) {
          float m = mask[mRow];
          for (int j = r; j < end; j++) {
            sr[j] += m;
          }
        } else {
          for (int j = 0; j < skv; j++) {
            sr[r + j] += mask[mRow + j];
          }
        }
      }
      // As the Softmax kernel computes it (in double, each probability divided by the sum):
      // the block is often read by a quantizer, where one ulp can flip a quantization step.
      double max = Double.NEGATIVE_INFINITY;
      for (int j = r; j < end; j++) {
        if (sr[j] > max) {
          max = sr[j];
        }
      }
      double sum = 0;
      for (int j = 0; j < skv; j++) {
        double e = Math.exp(sr[r + j] - max);
        ex[j] = e;
        sum += e;
      }
      for (int j = 0; j < skv; j++) {
        sr[r + j] = (float) (ex[j] / sum);
      }
    }
  }
}

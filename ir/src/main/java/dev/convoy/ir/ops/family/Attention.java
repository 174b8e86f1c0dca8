package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Transformer building blocks of the default domain: Attention (opset 23, and 24 with {@code
 * nonpad_kv_seqlen}), RotaryEmbedding (opset 23) and SwiGLU (opset 28); RMSNormalization lives in
 * {@link Normalization}. Attention covers
 * multi-head, grouped-query (each KV head serves {@code q_num_heads / kv_num_heads} consecutive
 * query heads) and multi-query forms, 3-D ({@code [batch, seq, heads*head_size]}) and 4-D
 * ({@code [batch, heads, seq, head_size]}) inputs, bool or additive masks whose last dimension
 * may be shorter than the total sequence (padded as masked), causal masking aligned to the end
 * of the KV cache, softcap and the four {@code qk_matmul_output_mode}s.
 */
public final class Attention implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    attention(r, 23, 6);
    attention(r, 24, 7);
    r.op("RotaryEmbedding", 23).inputs(3, 4).attr("interleaved", 0L).attr("num_heads", 0L)
        .attr("rotary_embedding_dim", 0L).shape(ShapeFns.sameAsInput(0))
        .kernel(Attention::rotaryEmbedding);
    // SwiGLU(a, b) = a * sigmoid(alpha * a) * b, the gated feed-forward activation.
    r.op("SwiGLU", 28).inputs(2).attr("alpha", 1.0f).shape(ShapeFns.broadcast())
        .kernel(ctx -> {
          NdArray a = ctx.tensor(0);
          NdArray b = ctx.tensor(1);
          Kernels.requireSameType(ctx, a, b);
          double alpha = ctx.attrFloat("alpha");
          return Kernels.one(Kernels.zip(a, b,
              (x, y) -> x / (1 + Math.exp(-alpha * x)) * y, null));
        });
  }

  private static void attention(OpRegistrar r, int since, int maxInputs) {
    r.op("Attention", since).inputs(3, maxInputs).outputs(1, 4)
        .attr("is_causal", 0L).optionalAttr("kv_num_heads").optionalAttr("q_num_heads")
        .attr("qk_matmul_output_mode", 0L).optionalAttr("scale").attr("softcap", 0.0f)
        .optionalAttr("softmax_precision")
        .shape(Attention::attentionShape)
        .kernel(Attention::attention);
  }

  // ---- Attention ----

  /** The problem sizes of one Attention node, read from its inputs and attributes. */
  private record Dims(int batch, int qHeads, int kvHeads, int qSeq, int kvSeq, int pastSeq,
      int headSize, int vHeadSize, boolean threeD) {
    int totalSeq() {
      return pastSeq + kvSeq;
    }
  }

  private static Dims dims(KernelContext ctx, NdArray q, NdArray k, NdArray v, NdArray pastK) {
    int rank = q.rank();
    if ((rank != 3 && rank != 4) || k.rank() != rank || v.rank() != rank) {
      throw ctx.error("Q, K and V must all be 3-D or all 4-D, got " + q.describe() + ", "
          + k.describe() + ", " + v.describe());
    }
    int batch = (int) q.dim(0);
    int qHeads;
    int kvHeads;
    int qSeq;
    int kvSeq;
    int head;
    int vHead;
    if (rank == 4) {
      qHeads = (int) q.dim(1);
      qSeq = (int) q.dim(2);
      head = (int) q.dim(3);
      kvHeads = (int) k.dim(1);
      kvSeq = (int) k.dim(2);
      vHead = (int) v.dim(3);
      if (k.dim(3) != head || v.dim(1) != kvHeads || v.dim(2) != kvSeq) {
        throw ctx.error("K " + k.describe() + " and V " + v.describe() + " do not match Q "
            + q.describe());
      }
    } else {
      if (!ctx.hasAttr("q_num_heads") || !ctx.hasAttr("kv_num_heads")) {
        throw ctx.error("3-D inputs need the q_num_heads and kv_num_heads attributes");
      }
      qHeads = ctx.attrInt("q_num_heads");
      kvHeads = ctx.attrInt("kv_num_heads");
      if (qHeads <= 0 || kvHeads <= 0 || q.dim(2) % qHeads != 0 || k.dim(2) % kvHeads != 0
          || v.dim(2) % kvHeads != 0) {
        throw ctx.error("hidden sizes of Q " + q.describe() + ", K " + k.describe() + " and V "
            + v.describe() + " do not split into " + qHeads + " and " + kvHeads + " heads");
      }
      qSeq = (int) q.dim(1);
      head = (int) (q.dim(2) / qHeads);
      kvSeq = (int) k.dim(1);
      vHead = (int) (v.dim(2) / kvHeads);
      if (k.dim(2) / kvHeads != head || v.dim(1) != kvSeq) {
        throw ctx.error("K " + k.describe() + " and V " + v.describe() + " do not match Q "
            + q.describe());
      }
    }
    if (kvHeads == 0 || qHeads % kvHeads != 0) {
      throw ctx.error(qHeads + " query heads cannot be grouped over " + kvHeads + " KV heads");
    }
    int past = 0;
    if (pastK != null) {
      if (pastK.rank() != 4 || pastK.dim(0) != batch || pastK.dim(1) != kvHeads
          || pastK.dim(3) != head) {
        throw ctx.error("past_key " + pastK.describe() + " must be [batch, kv_num_heads, "
            + "past_seq, head_size]");
      }
      past = (int) pastK.dim(2);
    }
    return new Dims(batch, qHeads, kvHeads, qSeq, kvSeq, past, head, vHead, rank == 3);
  }

  /** Offset of element (b, h, s, 0) of a Q/K/V input in 3-D or 4-D layout. */
  private static int rowOffset(boolean threeD, int b, int h, int s, int heads, int seq, int d) {
    return threeD ? (b * seq + s) * heads * d + h * d : ((b * heads + h) * seq + s) * d;
  }

  /** Past and new keys (or values) as one [batch, kvHeads, total, d] array: the present cache. */
  private static double[] present(Dims n, NdArray past, NdArray cur, int d) {
    int t = n.totalSeq();
    double[] out = new double[n.batch() * n.kvHeads() * t * d];
    double[] p = past == null ? null : past.toDoubles();
    double[] c = cur.toDoubles();
    for (int b = 0; b < n.batch(); b++) {
      for (int h = 0; h < n.kvHeads(); h++) {
        int base = (b * n.kvHeads() + h) * t * d;
        if (p != null) {
          if (past.dim(3) != d) {
            throw new dev.convoy.ir.InvalidModelException(
                "past value " + past.describe() + " does not match head size " + d);
          }
          System.arraycopy(p, (b * n.kvHeads() + h) * n.pastSeq() * d, out, base,
              n.pastSeq() * d);
        }
        for (int s = 0; s < n.kvSeq(); s++) {
          System.arraycopy(c, rowOffset(n.threeD(), b, h, s, n.kvHeads(), n.kvSeq(), d), out,
              base + (n.pastSeq() + s) * d, d);
        }
      }
    }
    return out;
  }

  private static List<RuntimeValue> attention(KernelContext ctx) {
    NdArray q = ctx.tensor(0);
    NdArray k = ctx.tensor(1);
    NdArray v = ctx.tensor(2);
    NdArray mask = ctx.optionalTensor(3);
    NdArray pastK = ctx.optionalTensor(4);
    NdArray pastV = ctx.optionalTensor(5);
    NdArray nonpad = ctx.inputCount() > 6 ? ctx.optionalTensor(6) : null;
    if (!q.dtype().isFloatingPoint()) {
      throw new dev.convoy.ir.UnsupportedOpException(
          ctx.where() + ": Attention of " + q.dtype().textName() + " is not supported");
    }
    Dims n = dims(ctx, q, k, v, pastK);
    if ((pastK == null) != (pastV == null)) {
      throw ctx.error("past_key and past_value must be given together");
    }
    int t = n.totalSeq();
    int d = n.headSize();
    int dv = n.vHeadSize();
    double[] keys = present(n, pastK, k, d);
    double[] values = present(n, pastV, v, dv);
    double[] qs = q.toDoubles();
    double scale = ctx.hasAttr("scale") ? ctx.attrFloat("scale") : 1 / Math.sqrt(d);
    double softcap = ctx.attrFloat("softcap");
    boolean causal = ctx.attrLong("is_causal") != 0;
    int mode = ctx.attrInt("qk_matmul_output_mode");
    if (mode < 0 || mode > 3) {
      throw ctx.error("qk_matmul_output_mode must be 0 to 3, is " + mode);
    }
    long[] nonpadLens = nonpad == null ? null : nonpad.toLongs();
    if (nonpadLens != null && nonpadLens.length != n.batch()) {
      throw ctx.error("nonpad_kv_seqlen " + nonpad.describe() + " must hold one length per batch");
    }
    Bias bias = mask == null ? null : new Bias(ctx, mask, n);
    boolean wantQk = ctx.hasOutput(3);
    double[] qkOut = wantQk ? new double[n.batch() * n.qHeads() * n.qSeq() * t] : null;
    double[] y = new double[n.batch() * n.qHeads() * n.qSeq() * dv];
    int group = n.qHeads() / n.kvHeads();
    double[] scores = new double[t];
    double[] capped = new double[t];
    for (int b = 0; b < n.batch(); b++) {
      long offset = pastK != null ? n.pastSeq()
          : nonpadLens != null ? nonpadLens[b] - n.qSeq() : 0;
      for (int h = 0; h < n.qHeads(); h++) {
        int kvh = h / group;
        int kBase = (b * n.kvHeads() + kvh) * t * d;
        int vBase = (b * n.kvHeads() + kvh) * t * dv;
        for (int i = 0; i < n.qSeq(); i++) {
          int qo = rowOffset(n.threeD(), b, h, i, n.qHeads(), n.qSeq(), d);
          for (int j = 0; j < t; j++) {
            double dot = 0;
            int ko = kBase + j * d;
            for (int x = 0; x < d; x++) {
              dot += qs[qo + x] * keys[ko + x];
            }
            double s = dot * scale;
            if (softcap > 0) {
              s = softcap * Math.tanh(s / softcap);
            }
            capped[j] = s;
            double add = bias == null ? 0 : bias.at(b, h, i, j);
            if (causal && j > i + offset) {
              add = Double.NEGATIVE_INFINITY;
            }
            if (nonpadLens != null && j >= nonpadLens[b]) {
              add = Double.NEGATIVE_INFINITY;
            }
            scores[j] = s + add;
          }
          int rowBase = ((b * n.qHeads() + h) * n.qSeq() + i) * t;
          if (wantQk && mode < 3) {
            System.arraycopy(mode == 2 ? scores : capped, 0, qkOut, rowBase, t);
          }
          softmaxInPlace(scores);
          if (wantQk && mode == 3) {
            System.arraycopy(scores, 0, qkOut, rowBase, t);
          }
          int yo = ((b * n.qHeads() + h) * n.qSeq() + i) * dv;
          for (int j = 0; j < t; j++) {
            double p = scores[j];
            if (p == 0) {
              continue;
            }
            int vo = vBase + j * dv;
            for (int x = 0; x < dv; x++) {
              y[yo + x] += p * values[vo + x];
            }
          }
        }
      }
    }
    DType dt = q.dtype();
    NdArray yArr;
    if (n.threeD()) {
      double[] y3 = new double[y.length];
      for (int b = 0; b < n.batch(); b++) {
        for (int h = 0; h < n.qHeads(); h++) {
          for (int i = 0; i < n.qSeq(); i++) {
            System.arraycopy(y, ((b * n.qHeads() + h) * n.qSeq() + i) * dv, y3,
                rowOffset(true, b, h, i, n.qHeads(), n.qSeq(), dv), dv);
          }
        }
      }
      yArr = NdArray.fromDoubles(dt, new long[] {n.batch(), n.qSeq(), (long) n.qHeads() * dv}, y3);
    } else {
      yArr = NdArray.fromDoubles(dt, new long[] {n.batch(), n.qHeads(), n.qSeq(), dv}, y);
    }
    List<RuntimeValue> out = new ArrayList<>();
    out.add(yArr);
    if (ctx.outputCount() > 1) {
      out.add(ctx.hasOutput(1) ? NdArray.fromDoubles(k.dtype(),
          new long[] {n.batch(), n.kvHeads(), t, d}, keys) : null);
    }
    if (ctx.outputCount() > 2) {
      out.add(ctx.hasOutput(2) ? NdArray.fromDoubles(v.dtype(),
          new long[] {n.batch(), n.kvHeads(), t, dv}, values) : null);
    }
    if (ctx.outputCount() > 3) {
      out.add(wantQk ? NdArray.fromDoubles(dt,
          new long[] {n.batch(), n.qHeads(), n.qSeq(), t}, qkOut) : null);
    }
    return out;
  }

  /**
   * Softmax over one row; a row masked everywhere (all -inf) becomes all zeros rather than NaN,
   * so fully masked queries attend to nothing.
   */
  private static void softmaxInPlace(double[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : row) {
      max = Math.max(max, x);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      Arrays.fill(row, 0);
      return;
    }
    double sum = 0;
    for (int j = 0; j < row.length; j++) {
      row[j] = Math.exp(row[j] - max);
      sum += row[j];
    }
    for (int j = 0; j < row.length; j++) {
      row[j] /= sum;
    }
  }

  /**
   * The attention mask as an additive bias at (batch, head, query, key): broadcast from its
   * right-aligned dims, bool true meaning "attend" (false is -inf), keys beyond a mask shorter
   * than the total sequence masked.
   */
  private static final class Bias {
    private final double[] values;
    private final long[] dims = new long[4];
    private final long[] strides = new long[4];

    Bias(KernelContext ctx, NdArray mask, Dims n) {
      if (mask.rank() < 2 || mask.rank() > 4) {
        throw ctx.error("attn_mask must have rank 2 to 4, is " + mask.describe());
      }
      boolean bool = mask.dtype() == DType.BOOL;
      double[] raw = mask.toDoubles();
      values = new double[raw.length];
      for (int i = 0; i < raw.length; i++) {
        values[i] = bool ? (raw[i] != 0 ? 0 : Double.NEGATIVE_INFINITY) : raw[i];
      }
      Arrays.fill(dims, 1);
      int shift = 4 - mask.rank();
      for (int i = 0; i < mask.rank(); i++) {
        dims[shift + i] = mask.dim(i);
      }
      long[] want = {n.batch(), n.qHeads(), n.qSeq(), n.totalSeq()};
      for (int i = 0; i < 3; i++) {
        if (dims[i] != 1 && dims[i] != want[i]) {
          throw ctx.error("attn_mask " + mask.describe() + " does not broadcast to "
              + Shape.toString(want));
        }
      }
      if (dims[3] > want[3]) {
        throw ctx.error("attn_mask " + mask.describe() + " is longer than the total sequence "
            + want[3]);
      }
      long s = 1;
      for (int i = 3; i >= 0; i--) {
        strides[i] = dims[i] == 1 && i < 3 ? 0 : s;
        s *= dims[i];
      }
    }

    double at(int b, int h, int i, int j) {
      if (j >= dims[3]) {
        return Double.NEGATIVE_INFINITY;
      }
      return values[(int) (b * strides[0] + h * strides[1] + i * strides[2] + j * strides[3])];
    }
  }

  private static List<ValueType> attentionShape(InferenceContext ctx) {
    DType dt = ctx.dtype(0);
    Shape q = ctx.shape(0);
    Shape k = ctx.shape(1);
    Shape v = ctx.shape(2);
    if (dt == null || !q.hasRank() || !k.hasRank() || !v.hasRank()) {
      return null;
    }
    Dim batch = q.dim(0);
    Dim pastSeq = ctx.hasInput(4) && ctx.shape(4).hasRank() && ctx.shape(4).rank() == 4
        ? ctx.shape(4).dim(2) : ctx.hasInput(4) ? Dim.UNKNOWN : Dim.of(0);
    Shape y;
    Dim qHeads;
    Dim kvHeads;
    Dim qSeq;
    Dim kvSeq;
    Dim head;
    Dim vHead;
    if (q.rank() == 4) {
      qHeads = q.dim(1);
      qSeq = q.dim(2);
      head = k.rank() == 4 ? k.dim(3) : Dim.UNKNOWN;
      kvHeads = k.rank() == 4 ? k.dim(1) : Dim.UNKNOWN;
      kvSeq = k.rank() == 4 ? k.dim(2) : Dim.UNKNOWN;
      vHead = v.rank() == 4 ? v.dim(3) : Dim.UNKNOWN;
      y = Shape.of(batch, qHeads, qSeq, vHead);
    } else if (q.rank() == 3 && ctx.hasAttr("q_num_heads") && ctx.hasAttr("kv_num_heads")) {
      long qh = ctx.attrLong("q_num_heads");
      long kvh = ctx.attrLong("kv_num_heads");
      qHeads = Dim.of(qh);
      kvHeads = Dim.of(kvh);
      qSeq = q.dim(1);
      kvSeq = k.rank() == 3 ? k.dim(1) : Dim.UNKNOWN;
      head = k.rank() == 3 && k.dim(2).isStatic() ? Dim.of(k.dim(2).size() / kvh) : Dim.UNKNOWN;
      vHead = v.rank() == 3 && v.dim(2).isStatic() ? Dim.of(v.dim(2).size() / kvh) : Dim.UNKNOWN;
      y = Shape.of(batch, qSeq, vHead.isStatic() ? Dim.of(qh * vHead.size()) : Dim.UNKNOWN);
    } else {
      return null;
    }
    Dim total = pastSeq.isStatic() && kvSeq.isStatic()
        ? Dim.of(pastSeq.size() + kvSeq.size()) : Dim.UNKNOWN;
    List<ValueType> out = new ArrayList<>();
    out.add(new ValueType.TensorType(dt, y));
    DType kt = ctx.dtype(1) != null ? ctx.dtype(1) : dt;
    DType vt = ctx.dtype(2) != null ? ctx.dtype(2) : dt;
    out.add(new ValueType.TensorType(kt, Shape.of(batch, kvHeads, total, head)));
    out.add(new ValueType.TensorType(vt, Shape.of(batch, kvHeads, total, vHead)));
    out.add(new ValueType.TensorType(dt, Shape.of(batch, qHeads, qSeq, total)));
    return out.subList(0, Math.min(out.size(), ctx.outputCount()));
  }

  // ---- RotaryEmbedding ----

  private static List<RuntimeValue> rotaryEmbedding(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray cosCache = ctx.tensor(1);
    NdArray sinCache = ctx.tensor(2);
    long[] positions = ctx.hasInput(3) ? ctx.tensor(3).toLongs() : null;
    boolean interleaved = ctx.attrLong("interleaved") != 0;
    int rank = x.rank();
    if (rank != 3 && rank != 4) {
      throw ctx.error("input must be 3-D or 4-D, is " + x.describe());
    }
    int batch = (int) x.dim(0);
    int seq;
    int heads;
    int head;
    if (rank == 4) {
      heads = (int) x.dim(1);
      seq = (int) x.dim(2);
      head = (int) x.dim(3);
    } else {
      heads = ctx.attrInt("num_heads");
      if (heads <= 0 || x.dim(2) % heads != 0) {
        throw ctx.error("3-D input " + x.describe() + " needs num_heads dividing its hidden size");
      }
      seq = (int) x.dim(1);
      head = (int) (x.dim(2) / heads);
    }
    int rot = ctx.attrInt("rotary_embedding_dim");
    if (rot == 0) {
      rot = head;
    }
    if (rot > head || rot % 2 != 0) {
      throw ctx.error("rotary_embedding_dim " + rot + " must be even and at most " + head);
    }
    int half = rot / 2;
    if (cosCache.dim(cosCache.rank() - 1) != half || sinCache.dim(sinCache.rank() - 1) != half) {
      throw ctx.error("cos/sin caches " + cosCache.describe() + " must end in " + half);
    }
    double[] cos = cosCache.toDoubles();
    double[] sin = sinCache.toDoubles();
    double[] in = x.toDoubles();
    double[] out = in.clone();
    for (int b = 0; b < batch; b++) {
      for (int s = 0; s < seq; s++) {
        int cacheRow;
        if (positions != null) {
          long pos = positions[positions.length == seq ? s : b * seq + s];
          if (pos < 0 || pos >= cosCache.dim(0)) {
            throw ctx.error("position id " + pos + " is outside the cache of " + cosCache.dim(0));
          }
          cacheRow = (int) pos * half;
        } else {
          cacheRow = (cosCache.rank() == 3 ? b * seq + s : s) * half;
        }
        for (int h = 0; h < heads; h++) {
          int base = rowOffset(rank == 3, b, h, s, heads, seq, head);
          for (int j = 0; j < half; j++) {
            int i1 = interleaved ? base + 2 * j : base + j;
            int i2 = interleaved ? base + 2 * j + 1 : base + j + half;
            double c = cos[cacheRow + j];
            double sn = sin[cacheRow + j];
            double x1 = in[i1];
            double x2 = in[i2];
            out[i1] = c * x1 - sn * x2;
            out[i2] = sn * x1 + c * x2;
          }
        }
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), x.dims(), out));
  }
}

package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reductions: the ten ReduceX ops (axes as an attribute before the opset where they became an
 * input: 13 for ReduceSum, 18 for the rest; {@code keepdims}; {@code noop_with_empty_axes}),
 * ArgMax and ArgMin. Float reductions accumulate in double; integer sums, products, extrema and
 * means accumulate exactly in long. An empty reduction gives the op's identity (0 for sums, 1
 * for products, -inf/+inf or the integer type's extreme for Max/Min, -inf for the log forms).
 */
public final class Reduce implements OpFamily {

  /** What a reduction accumulates per element and how it finishes. */
  enum Kind {
    SUM("ReduceSum", 13),
    MEAN("ReduceMean", 18),
    MAX("ReduceMax", 18),
    MIN("ReduceMin", 18),
    PROD("ReduceProd", 18),
    L1("ReduceL1", 18),
    L2("ReduceL2", 18),
    LOG_SUM("ReduceLogSum", 18),
    LOG_SUM_EXP("ReduceLogSumExp", 18),
    SUM_SQUARE("ReduceSumSquare", 18);

    final String op;
    /** The opset where {@code axes} moved from an attribute to an optional input. */
    final int axesInputSince;

    Kind(String op, int axesInputSince) {
      this.op = op;
      this.axesInputSince = axesInputSince;
    }

    /** Whether integer inputs reduce exactly in long (the others go through double). */
    boolean exactForIntegers() {
      return this != L2 && this != LOG_SUM && this != LOG_SUM_EXP;
    }
  }

  @Override
  public void register(OpRegistrar r) {
    for (Kind k : Kind.values()) {
      r.op(k.op, 1).attr("keepdims", 1L).optionalAttr("axes")
          .shape(ctx -> reduceShape(ctx, ctx.attrLongs("axes"), true, false))
          .kernel(ctx -> one(reduce(ctx, k, ctx.tensor(0), ctx.attrLongs("axes"),
              ctx.attrLong("keepdims") != 0, false)));
      r.op(k.op, k.axesInputSince).inputs(1, 2).attr("keepdims", 1L)
          .attr("noop_with_empty_axes", 0L)
          .shape(ctx -> reduceShape(ctx, ctx.hasInput(1) ? ctx.constantLongs(1) : null,
              !ctx.hasInput(1) || ctx.constantLongs(1) != null,
              ctx.attrLong("noop_with_empty_axes") != 0))
          .kernel(ctx -> one(reduce(ctx, k, ctx.tensor(0), ctx.longs(1),
              ctx.attrLong("keepdims") != 0, ctx.attrLong("noop_with_empty_axes") != 0)));
    }
    r.op("ArgMax", 1).attr("axis", 0L).attr("keepdims", 1L).attr("select_last_index", 0L)
        .shape(Reduce::argShape).kernel(ctx -> one(arg(ctx, true)));
    r.op("ArgMin", 1).attr("axis", 0L).attr("keepdims", 1L).attr("select_last_index", 0L)
        .shape(Reduce::argShape).kernel(ctx -> one(arg(ctx, false)));
  }

  // ---- shapes ----

  private static List<dev.convoy.ir.graph.ValueType> reduceShape(InferenceContext ctx,
      long[] axes, boolean axesKnown, boolean noopWhenEmpty) {
    DType dt = ctx.dtype(0);
    Shape s = ctx.shape(0);
    boolean keep = ctx.attrLong("keepdims") != 0;
    if (!s.hasRank()) {
      return ShapeFns.tensor(dt, Shape.unknownRank());
    }
    int rank = s.rank();
    if (!axesKnown) {
      return ShapeFns.tensor(dt, keep ? ShapeFns.unknownDims(rank) : Shape.unknownRank());
    }
    if ((axes == null || axes.length == 0) && noopWhenEmpty) {
      return ShapeFns.tensor(dt, s);
    }
    boolean[] reduced = reducedAxes(ctx, axes, rank);
    List<Dim> out = new ArrayList<>(rank);
    for (int i = 0; i < rank; i++) {
      if (!reduced[i]) {
        out.add(s.dim(i));
      } else if (keep) {
        out.add(Dim.of(1));
      }
    }
    return ShapeFns.tensor(dt, Shape.of(out));
  }

  private static List<dev.convoy.ir.graph.ValueType> argShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(DType.INT64, Shape.unknownRank());
    }
    int axis = ctx.axis(ctx.attrLong("axis"), s.rank());
    boolean keep = ctx.attrLong("keepdims") != 0;
    List<Dim> out = new ArrayList<>(s.dims());
    if (keep) {
      out.set(axis, Dim.of(1));
    } else {
      out.remove(axis);
    }
    return ShapeFns.tensor(DType.INT64, Shape.of(out));
  }

  /** Which axes {@code axes} names (all of them when null or empty). */
  private static boolean[] reducedAxes(NodeContext ctx, long[] axes, int rank) {
    boolean[] reduced = new boolean[rank];
    if (axes == null || axes.length == 0) {
      java.util.Arrays.fill(reduced, true);
      return reduced;
    }
    for (long a : axes) {
      int ax = ctx.axis(a, rank);
      if (reduced[ax]) {
        throw ctx.error("axis " + a + " is listed twice in axes");
      }
      reduced[ax] = true;
    }
    return reduced;
  }

  // ---- ReduceX kernels ----

  static NdArray reduce(KernelContext ctx, Kind kind, NdArray x, long[] axes, boolean keep,
      boolean noopWhenEmpty) {
    if ((axes == null || axes.length == 0) && noopWhenEmpty) {
      return x;
    }
    DType t = x.dtype();
    if (t == DType.STRING) {
      throw new UnsupportedOpException(ctx.where() + ": element type string is not supported");
    }
    if (t == DType.BOOL && kind != Kind.MAX && kind != Kind.MIN) {
      throw new UnsupportedOpException(ctx.where() + ": element type bool is not supported");
    }
    long[] inDims = x.dims();
    int rank = inDims.length;
    boolean[] reduced = reducedAxes(ctx, axes, rank);
    long[] keepDims = new long[rank];
    long count = 1;
    int outRank = 0;
    for (int i = 0; i < rank; i++) {
      keepDims[i] = reduced[i] ? 1 : inDims[i];
      if (reduced[i]) {
        count *= inDims[i];
      }
      if (!reduced[i] || keep) {
        outRank++;
      }
    }
    long[] outDims = new long[outRank];
    for (int i = 0, o = 0; i < rank; i++) {
      if (!reduced[i] || keep) {
        outDims[o++] = keepDims[i];
      }
    }
    int outSize = NdArray.checkedSize(keepDims);
    long[][] operands = {inDims, keepDims};
    if (!t.isFloatingPoint() && kind.exactForIntegers()) {
      long[] acc = reduceLongs(x, kind, inDims, operands, outSize, count);
      return NdArray.fromLongs(t, outDims, acc);
    }
    if (t == DType.FLOAT && (kind == Kind.SUM || kind == Kind.MEAN) && trailing(reduced)) {
      return NdArray.wrap(t, outDims, sumRows(x, outSize, (int) count, kind == Kind.MEAN));
    }
    int innerFrom = blockEnd(reduced);
    if (t == DType.FLOAT && (kind == Kind.SUM || kind == Kind.MEAN) && innerFrom > 0
        && outSize > 0) {
      int inner = NdArray.checkedSize(Arrays.copyOfRange(inDims, innerFrom, rank));
      return NdArray.wrap(t, outDims,
          sumBlocks(x, outSize / inner, (int) count, inner, kind == Kind.MEAN));
    }
    boolean single = t == DType.FLOAT || t == DType.FLOAT16 || t == DType.BFLOAT16;
    double[] acc = reduceDoubles(x.toDoubles(), kind, single, inDims, operands, outSize, count);
    return NdArray.fromDoubles(t, outDims, acc);
  }

  /** Whether the reduced axes are the last ones (each output sums one contiguous run). */
  private static boolean trailing(boolean[] reduced) {
    int i = 0;
    while (i < reduced.length && !reduced[i]) {
      i++;
    }
    for (; i < reduced.length; i++) {
      if (!reduced[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where the axes after one contiguous block of reduced axes start (a channels-last tensor's
   * spatial mean, axes 1 and 2 of [N, H, W, C], has the channels after it), or -1 when the
   * reduced axes are not one block followed by kept ones.
   */
  private static int blockEnd(boolean[] reduced) {
    int i = 0;
    while (i < reduced.length && !reduced[i]) {
      i++;
    }
    while (i < reduced.length && reduced[i]) {
      i++;
    }
    int end = i;
    for (; i < reduced.length; i++) {
      if (reduced[i]) {
        return -1;
      }
    }
    return end < reduced.length ? end : -1;
  }

  /**
   * The float32 sums (means with {@code mean}) over a block of reduced axes with {@code inner}
   * kept elements after it: for each of {@code outer} groups, the sum of {@code len} contiguous
   * runs of {@code inner}, element by element in the order {@link #reduceDoubles} adds them
   * (rounded to float at every step, as it does for a float32 tensor), so the same values without
   * widening the tensor to doubles, and a loop over the inner elements the JIT vectorizes.
   */
  private static float[] sumBlocks(NdArray x, int outer, int len, int inner, boolean mean) {
    float[] v = (float[]) x.array();
    int off = x.offset();
    float[] out = new float[outer * inner];
    for (int o = 0; o < outer; o++) {
      int dst = o * inner;
      for (int p = 0; p < len; p++) {
        int src = off + (o * len + p) * inner;
        for (int i = 0; i < inner; i++) {
          out[dst + i] += v[src + i];
        }
      }
      if (mean) {
        for (int i = 0; i < inner; i++) {
          out[dst + i] = (float) ((double) out[dst + i] / len);
        }
      }
    }
    return out;
  }

  /**
   * The float32 sums (means with {@code mean}) of {@code rows} contiguous runs of {@code len}:
   * {@link #reduceDoubles}'s values for a float32 tensor reduced over its trailing axes (its
   * double sum rounded to float at every step is the float sum, and its double mean rounded is
   * computed here the same way), without widening the tensor to doubles.
   */
  private static float[] sumRows(NdArray x, int rows, int len, boolean mean) {
    float[] v = (float[]) x.array();
    int off = x.offset();
    float[] out = new float[rows];
    for (int r = 0; r < rows; r++) {
      float s = 0f;
      for (int j = off + r * len, end = j + len; j < end; j++) {
        s += v[j];
      }
      out[r] = mean ? (float) ((double) s / len) : s;
    }
    return out;
  }

  /**
   * Float reductions; {@code single} rounds every partial sum to float32 as ONNX Runtime's float
   * kernels do. That matters where a mean is subtracted from values of similar size (audio
   * normalization in Silero VAD): double sums there differ from ONNX Runtime's by more than the
   * model tolerance after the cancellation.
   */
  private static double[] reduceDoubles(double[] x, Kind kind, boolean single, long[] inDims,
      long[][] operands, int outSize, long count) {
    double[] acc = new double[outSize];
    if (kind == Kind.LOG_SUM_EXP) {
      // log(sum(exp(x - m))) + m with m the group's max keeps exp from overflowing.
      double[] max = reduceDoubles(x, Kind.MAX, false, inDims, operands, outSize, count);
      for (int i = 0; i < outSize; i++) {
        max[i] = Double.isInfinite(max[i]) ? 0 : max[i];
      }
      Broadcast.forEachRow(inDims, operands, (p, off, st, len) -> {
        int o = off[1];
        if (st[1] == 0) {
          double m = max[o];
          double s = acc[o];
          for (int j = 0; j < len; j++) {
            s += Math.exp(x[p + j] - m);
          }
          acc[o] = s;
        } else {
          for (int j = 0; j < len; j++, o += st[1]) {
            acc[o] += Math.exp(x[p + j] - max[o]);
          }
        }
      });
      for (int i = 0; i < outSize; i++) {
        acc[i] = Math.log(acc[i]) + max[i];
      }
      return acc;
    }
    double init = switch (kind) {
      case MAX -> Double.NEGATIVE_INFINITY;
      case MIN -> Double.POSITIVE_INFINITY;
      case PROD -> 1;
      default -> 0;
    };
    java.util.Arrays.fill(acc, init);
    Broadcast.forEachRow(inDims, operands, (p, off, st, len) -> {
      int o = off[1];
      if (st[1] == 0) {
        double s = acc[o];
        for (int j = 0; j < len; j++) {
          s = step(kind, s, x[p + j], single);
        }
        acc[o] = s;
      } else {
        for (int j = 0; j < len; j++, o += st[1]) {
          acc[o] = step(kind, acc[o], x[p + j], single);
        }
      }
    });
    for (int i = 0; i < outSize; i++) {
      acc[i] = switch (kind) {
        case MEAN -> acc[i] / count;
        case L2 -> Math.sqrt(acc[i]);
        case LOG_SUM -> Math.log(acc[i]);
        default -> acc[i];
      };
    }
    return acc;
  }

  private static double step(Kind kind, double acc, double v, boolean single) {
    double r = switch (kind) {
      case SUM, MEAN, LOG_SUM -> acc + v;
      case SUM_SQUARE, L2 -> acc + (single ? (float) (v * v) : v * v);
      case L1 -> acc + Math.abs(v);
      case PROD -> acc * v;
      // NaN propagates like numpy's maximum/minimum.
      case MAX -> v > acc || v != v ? v : acc;
      case MIN -> v < acc || v != v ? v : acc;
      case LOG_SUM_EXP -> throw new IllegalStateException("handled separately");
    };
    return single ? (float) r : r;
  }

  private static long[] reduceLongs(NdArray x, Kind kind, long[] inDims, long[][] operands,
      int outSize, long count) {
    long[] v = x.toLongs();
    DType t = x.dtype();
    // uint64 extrema compare unsigned: flipping the sign bit makes signed order match.
    long flip = t == DType.UINT64 && (kind == Kind.MAX || kind == Kind.MIN) ? Long.MIN_VALUE : 0;
    long[] acc = new long[outSize];
    long init = switch (kind) {
      case MAX -> minOf(t) ^ flip;
      case MIN -> maxOf(t) ^ flip;
      case PROD -> 1;
      default -> 0;
    };
    java.util.Arrays.fill(acc, init);
    Broadcast.forEachRow(inDims, operands, (p, off, st, len) -> {
      int o = off[1];
      for (int j = 0; j < len; j++, o += st[1]) {
        long e = v[p + j] ^ flip;
        acc[o] = switch (kind) {
          case SUM, MEAN -> acc[o] + e;
          case SUM_SQUARE -> acc[o] + e * e;
          case L1 -> acc[o] + Math.abs(e);
          case PROD -> acc[o] * e;
          case MAX -> Math.max(acc[o], e);
          case MIN -> Math.min(acc[o], e);
          default -> throw new IllegalStateException(kind + " is not exact over integers");
        };
      }
    });
    for (int i = 0; i < outSize; i++) {
      acc[i] ^= flip;
      if (kind == Kind.MEAN) {
        acc[i] = count == 0 ? 0 : acc[i] / count;
      }
    }
    return acc;
  }

  /** The smallest value of an integer (or bool) element type, as its long bit pattern. */
  private static long minOf(DType t) {
    return switch (t) {
      case INT8 -> Byte.MIN_VALUE;
      case INT16 -> Short.MIN_VALUE;
      case INT32 -> Integer.MIN_VALUE;
      case INT64 -> Long.MIN_VALUE;
      default -> 0;
    };
  }

  private static long maxOf(DType t) {
    return switch (t) {
      case INT8 -> Byte.MAX_VALUE;
      case INT16 -> Short.MAX_VALUE;
      case INT32 -> Integer.MAX_VALUE;
      case UINT8 -> 0xFF;
      case UINT16 -> 0xFFFF;
      case UINT32 -> 0xFFFFFFFFL;
      case BOOL -> 1;
      case UINT64 -> -1L;
      default -> Long.MAX_VALUE;
    };
  }

  // ---- ArgMax / ArgMin ----

  private static NdArray arg(KernelContext ctx, boolean max) {
    NdArray x = ctx.tensor(0);
    DType t = x.dtype();
    if (t == DType.STRING || t == DType.BOOL) {
      throw ctx.unsupportedType(t);
    }
    long[] dims = x.dims();
    int rank = dims.length;
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    boolean keep = ctx.attrLong("keepdims") != 0;
    boolean last = ctx.attrLong("select_last_index") != 0;
    int n = rank == 0 ? 1 : (int) dims[axis];
    if (n == 0) {
      throw ctx.error("cannot take " + ctx.node().opType() + " over an empty axis " + axis);
    }
    int inner = 1;
    for (int i = axis + 1; i < rank; i++) {
      inner *= (int) dims[i];
    }
    int outer = n == 0 ? 0 : x.size() / (n * inner);
    long[] out = new long[outer * inner];
    // Compare in a sign-adjusted domain so "better" is always "greater".
    double sign = max ? 1 : -1;
    if (t.isFloatingPoint() || t == DType.UINT64) {
      double[] v = x.toDoubles();
      for (int a = 0; a < outer; a++) {
        for (int b = 0; b < inner; b++) {
          int base = a * n * inner + b;
          double best = sign * v[base];
          int bi = 0;
          for (int k = 1; k < n; k++) {
            double e = sign * v[base + k * inner];
            if (e > best || (last && e == best)) {
              best = e;
              bi = k;
            }
          }
          out[a * inner + b] = bi;
        }
      }
    } else {
      long[] v = x.toLongs();
      for (int a = 0; a < outer; a++) {
        for (int b = 0; b < inner; b++) {
          int base = a * n * inner + b;
          long best = v[base];
          int bi = 0;
          for (int k = 1; k < n; k++) {
            long e = v[base + k * inner];
            boolean better = max ? e > best : e < best;
            if (better || (last && e == best)) {
              best = e;
              bi = k;
            }
          }
          out[a * inner + b] = bi;
        }
      }
    }
    long[] outDims;
    if (rank == 0) {
      outDims = new long[0];
    } else if (keep) {
      outDims = dims.clone();
      outDims[axis] = 1;
    } else {
      outDims = new long[rank - 1];
      for (int i = 0, o = 0; i < rank; i++) {
        if (i != axis) {
          outDims[o++] = dims[i];
        }
      }
    }
    return NdArray.wrap(DType.INT64, outDims, out);
  }
}

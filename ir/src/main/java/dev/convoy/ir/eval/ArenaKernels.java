package dev.convoy.ir.eval;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Kernels that read their inputs where they lie (in the arena or on the heap) and write their
 * output straight to its planned place, so neither a copy of an input nor an output array is made:
 * float32 Relu, Clip, and Add/Sub/Mul/Div of equal shapes or with a one-element operand (the
 * elementwise ops a plan writes in place), and Concat of any numeric type. Each computes exactly
 * what the catalog's kernel computes (one float operation per element, the same bounds), which
 * {@code ArenaExecutionTest} checks bit for bit; an elementwise output sharing its input's bytes
 * reads element i before writing it. Anything else (another type, broadcasting, a missing input)
 * returns false and the node runs through the catalog.
 */
final class ArenaKernels {
  private ArenaKernels() {}

  /**
   * Runs {@code n} into {@code arena} when its output is planned there and a kernel here applies;
   * {@code source} gives an input's elements without copying them, or null when it cannot.
   */
  static boolean run(Node n, Arena arena, Function<Value, Arena.Span> source, Parallel par) {
    if (!n.domain().isEmpty() || n.outputCount() != 1 || n.output(0) == null
        || !arena.holds(n.output(0))) {
      return false;
    }
    return switch (n.opType()) {
      case "Relu" -> unary(n, arena, source, 0f, Float.NaN, true, par);
      case "Clip" -> clip(n, arena, source, par);
      case "Add", "Sub", "Mul", "Div" -> binary(n, arena, source, par);
      case "Concat" -> concat(n, arena, source);
      default -> false;
    };
  }

  private static boolean clip(Node n, Arena arena, Function<Value, Arena.Span> source,
      Parallel par) {
    double lo;
    double hi;
    if (OpCatalog.opsetOf(n) < 11) {
      lo = n.attribute("min").map(a -> (double) ((Attribute.FloatAttr) a).value())
          .orElse((double) -Float.MAX_VALUE);
      hi = n.attribute("max").map(a -> (double) ((Attribute.FloatAttr) a).value())
          .orElse((double) Float.MAX_VALUE);
    } else {
      Double min = bound(n, 1, Double.NEGATIVE_INFINITY, source);
      Double max = bound(n, 2, Double.POSITIVE_INFINITY, source);
      if (min == null || max == null) {
        return false;
      }
      lo = min;
      hi = max;
    }
    return unary(n, arena, source, (float) lo, (float) hi, false, par);
  }

  /** A one-element bound input as the catalog reads it, {@code fallback} when absent. */
  private static Double bound(Node n, int i, double fallback,
      Function<Value, Arena.Span> source) {
    if (i >= n.inputCount() || n.input(i) == null) {
      return fallback;
    }
    Arena.Span s = source.apply(n.input(i));
    if (s == null || s.size() != 1 || s.dtype() != DType.FLOAT) {
      return null;
    }
    return (double) ((float[]) s.data())[s.offset()];
  }

  /** Relu ({@code x < 0 ? 0 : x}, which keeps -0 and NaN, as ONNX Runtime) or Clip to [lo, hi]. */
  private static boolean unary(Node n, Arena arena, Function<Value, Arena.Span> source, float lo,
      float hi, boolean relu, Parallel par) {
    Arena.Span x = source.apply(n.input(0));
    if (x == null || x.dtype() != DType.FLOAT || !declared(n, DType.FLOAT)) {
      return false;
    }
    Arena.Span o = arena.place(n.output(0), x.dims());
    float[] a = (float[]) x.data();
    float[] out = (float[]) o.data();
    int ia = x.offset();
    int io = o.offset();
    chunks(x.size(), par, (from, to) -> {
      if (relu) {
        for (int i = from; i < to; i++) {
          out[io + i] = a[ia + i] < 0f ? 0f : a[ia + i];
        }
      } else {
        for (int i = from; i < to; i++) {
          out[io + i] = Math.min(Math.max(a[ia + i], lo), hi);
        }
      }
    });
    return true;
  }

  private static boolean binary(Node n, Arena arena, Function<Value, Arena.Span> source,
      Parallel par) {
    if (n.inputCount() != 2 || n.input(0) == null || n.input(1) == null
        || !declared(n, DType.FLOAT)) {
      return false;
    }
    Arena.Span x = source.apply(n.input(0));
    Arena.Span y = source.apply(n.input(1));
    if (x == null || y == null || x.dtype() != DType.FLOAT || y.dtype() != DType.FLOAT) {
      return false;
    }
    boolean same = Arrays.equals(x.dims(), y.dims());
    boolean scalarRight = y.size() == 1 && y.dims().length <= x.dims().length;
    boolean scalarLeft = x.size() == 1 && x.dims().length <= y.dims().length;
    if (!same && !scalarRight && !scalarLeft) {
      return false;
    }
    Arena.Span v = same || scalarRight ? x : y;
    Arena.Span o = arena.place(n.output(0), v.dims());
    float[] a = (float[]) x.data();
    float[] b = (float[]) y.data();
    float[] out = (float[]) o.data();
    int ia = x.offset();
    int ib = y.offset();
    int io = o.offset();
    char op = n.opType().charAt(0) == 'S' ? '-' : n.opType().charAt(0) == 'M' ? '*'
        : n.opType().charAt(0) == 'D' ? '/' : '+';
    chunks(v.size(), par, (from, to) -> {
      if (same) {
        for (int i = from; i < to; i++) {
          out[io + i] = apply(op, a[ia + i], b[ib + i]);
        }
      } else if (scalarRight) {
        float s = b[ib];
        for (int i = from; i < to; i++) {
          out[io + i] = apply(op, a[ia + i], s);
        }
      } else {
        float s = a[ia];
        for (int i = from; i < to; i++) {
          out[io + i] = apply(op, s, b[ib + i]);
        }
      }
    });
    return true;
  }

  /** {@code body} over {@code [0, n)} in chunks of 4096 elements spread over {@code par}. */
  private static void chunks(int n, Parallel par, Parallel.RangeBody body) {
    int chunk = 4096;
    par.forRange((n + chunk - 1) / chunk, chunk * 4L,
        (from, to) -> body.run(from * chunk, Math.min(n, to * chunk)));
  }

  private static float apply(char op, float u, float v) {
    return switch (op) {
      case '+' -> u + v;
      case '-' -> u - v;
      case '*' -> u * v;
      default -> u / v;
    };
  }

  private static boolean concat(Node n, Arena arena, Function<Value, Arena.Span> source) {
    List<Arena.Span> ins = new ArrayList<>();
    for (Value v : n.inputs()) {
      Arena.Span s = v == null ? null : source.apply(v);
      if (s == null || s.dtype() == DType.STRING) {
        return false;
      }
      ins.add(s);
    }
    if (ins.isEmpty() || n.output(0).tensorType() == null) {
      return false;
    }
    long[] first = ins.get(0).dims();
    int rank = first.length;
    long axisAttr = n.attribute("axis").map(a -> ((Attribute.IntAttr) a).value()).orElse(1L);
    int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
    if (rank == 0 || axis < 0 || axis >= rank) {
      return false;
    }
    long[] outDims = first.clone();
    outDims[axis] = 0;
    DType dtype = ins.get(0).dtype();
    for (Arena.Span s : ins) {
      long[] d = s.dims();
      if (s.dtype() != dtype || d.length != rank) {
        return false;
      }
      for (int k = 0; k < rank; k++) {
        if (k != axis && d[k] != first[k]) {
          return false;
        }
      }
      outDims[axis] += d[axis];
    }
    if (n.output(0).tensorType().dtype() != dtype) {
      return false;
    }
    int outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= (int) first[k];
    }
    int inner = 1;
    for (int k = axis + 1; k < rank; k++) {
      inner *= (int) first[k];
    }
    Arena.Span o = arena.place(n.output(0), outDims);
    int outRow = (int) outDims[axis] * inner;
    int at = 0;
    for (Arena.Span s : ins) {
      int row = (int) s.dims()[axis] * inner;
      for (int r = 0; r < outer; r++) {
        System.arraycopy(s.data(), s.offset() + r * row, o.data(), o.offset() + r * outRow + at,
            row);
      }
      at += row;
    }
    return true;
  }

  private static boolean declared(Node n, DType dtype) {
    var t = n.output(0).tensorType();
    return t != null && t.dtype() == dtype;
  }

  /** Elements of a heap array as a span. */
  static Arena.Span heap(NdArray a) {
    return new Arena.Span(a.data(), 0, a.size(), a.dims(), a.dtype());
  }
}

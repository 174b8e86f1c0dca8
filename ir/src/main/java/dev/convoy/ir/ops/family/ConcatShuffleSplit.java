package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code convoy::ConcatShuffleSplit(X1..Xk) -> Y1..Ym} ({@code axis}, {@code group} g): the inputs
 * concatenated along the axis (C channels in all), shuffled as ShuffleNet shuffles them (output
 * channel {@code j*g + i} is concatenated channel {@code i*C/g + j}) and split into m equal parts
 * along the same axis; any element type. ShuffleNet V2's unit tail (Concat, Reshape, Transpose,
 * Reshape, Split) copies every element three times; this copies each once, straight from its
 * input to its place in an output.
 */
public final class ConcatShuffleSplit implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "ConcatShuffleSplit", 1).variadicInputs(1)
        .outputs(1, Integer.MAX_VALUE).requiredAttr("axis").requiredAttr("group")
        .shape(ConcatShuffleSplit::shape).kernel(ConcatShuffleSplit::compute);
  }

  private static List<ValueType> shape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    Shape first = ctx.shape(0);
    int parts = ctx.outputCount();
    List<ValueType> out = new ArrayList<>();
    if (!first.hasRank()) {
      for (int p = 0; p < parts; p++) {
        out.add(new ValueType.TensorType(t, Shape.unknownRank()));
      }
      return out;
    }
    int axis = ctx.axis(ctx.attrLong("axis"), first.rank());
    long channels = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      Shape s = ctx.shape(i);
      Dim d = s.hasRank() && s.rank() == first.rank() ? s.dim(axis) : Dim.UNKNOWN;
      channels = channels < 0 || !d.isStatic() ? -1 : channels + d.size();
    }
    List<Dim> dims = new ArrayList<>(first.dims());
    dims.set(axis, channels < 0 ? Dim.UNKNOWN : Dim.of(channels / parts));
    for (int p = 0; p < parts; p++) {
      out.add(new ValueType.TensorType(t, Shape.of(dims)));
    }
    return out;
  }

  private static List<RuntimeValue> compute(KernelContext ctx) {
    NdArray first = ctx.tensor(0);
    int rank = first.rank();
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    long group = ctx.attrLong("group");
    int parts = ctx.outputCount();
    int k = ctx.inputCount();
    NdArray[] in = new NdArray[k];
    int channels = 0;
    for (int i = 0; i < k; i++) {
      in[i] = ctx.tensor(i);
      if (in[i].dtype() != first.dtype() || in[i].rank() != rank) {
        throw ctx.error("inputs " + first.describe() + " and " + in[i].describe()
            + " differ in element type or rank");
      }
      for (int d = 0; d < rank; d++) {
        if (d != axis && in[i].dim(d) != first.dim(d)) {
          throw ctx.error("inputs " + first.describe() + " and " + in[i].describe()
              + " differ off axis " + axis);
        }
      }
      channels += (int) in[i].dim(axis);
    }
    if (group <= 0 || channels % group != 0 || channels % parts != 0) {
      throw ctx.error(channels + " channels do not divide into " + group + " groups and "
          + parts + " equal parts");
    }
    long[] dims = first.dims();
    int outer = (int) Shape.product(dims, 0, axis);
    int inner = (int) Shape.product(dims, axis + 1, rank);
    int per = channels / parts;
    dims[axis] = per;
    if (inner == 1 && first.dtype() == DType.FLOAT && k == group && per % group == 0
        && equalAlong(in, axis)) {
      return interleaved(ctx, in, dims, outer, per);
    }
    // Concatenated channel c lies in input owner[c] as its channel local[c].
    int[] owner = new int[channels];
    int[] local = new int[channels];
    for (int i = 0, c = 0; i < k; i++) {
      for (int j = 0; j < in[i].dim(axis); j++, c++) {
        owner[c] = i;
        local[c] = j;
      }
    }
    int perGroup = (int) (channels / group);
    List<RuntimeValue> out = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      NdArray y = ctx.output(p, first.dtype(), dims);
      for (int o = 0; o < outer; o++) {
        for (int j = 0; j < per; j++) {
          int s = p * per + j;
          int c = (int) (s % group) * perGroup + (int) (s / group);
          NdArray x = in[owner[c]];
          int xc = (int) x.dim(axis);
          System.arraycopy(x.array(), x.offset() + (o * xc + local[c]) * inner, y.array(),
              y.offset() + (o * per + j) * inner, inner);
        }
      }
      out.add(y);
    }
    return out;
  }
  private static boolean equalAlong(NdArray[] in, int axis) {
    for (NdArray x : in) {
      if (x.dim(axis) != in[0].dim(axis)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The shuffle of the last axis (channels-last) where each of the g inputs is one group, as
   * O3's layout pass leaves ShuffleNet's unit: output part p's pixel is, for q in turn, channel
   * {@code p*per/g + q} of input 0, of input 1, ... of input g-1, so each output pixel is an
   * interleave of one run from every input (no per-element copy call).
   */
  private static List<RuntimeValue> interleaved(KernelContext ctx, NdArray[] in, long[] dims,
      int outer, int per) {
    int g = in.length;
    int run = per / g;
    int xc = (int) in[0].dim(in[0].rank() - 1);
    float[][] xs = new float[g][];
    int[] x0 = new int[g];
    for (int i = 0; i < g; i++) {
      xs[i] = (float[]) in[i].array();
      x0[i] = in[i].offset();
    }
    List<RuntimeValue> out = new ArrayList<>(ctx.outputCount());
    for (int p = 0; p < ctx.outputCount(); p++) {
      NdArray y = ctx.output(p, DType.FLOAT, dims);
      float[] ys = (float[]) y.array();
      for (int o = 0; o < outer; o++) {
        int dst = y.offset() + o * per;
        int src = o * xc + p * run;
        if (g == 2) {
          float[] a = xs[0];
          float[] b = xs[1];
          int a0 = x0[0] + src;
          int b0 = x0[1] + src;
          for (int q = 0; q < run; q++) {
            ys[dst + 2 * q] = a[a0 + q];
            ys[dst + 2 * q + 1] = b[b0 + q];
          }
        } else {
          for (int q = 0; q < run; q++) {
            for (int i = 0; i < g; i++) {
              ys[dst + q * g + i] = xs[i][x0[i] + src + q];
            }
          }
        }
      }
      out.add(y);
    }
    return out;
  }
}

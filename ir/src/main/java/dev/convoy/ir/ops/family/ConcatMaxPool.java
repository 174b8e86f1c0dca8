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
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code convoy::ConcatMaxPool(X1, ..., Xn)}, which {@code fuse-concat-max-pool} writes for a 2-D
 * MaxPool of a channel Concat (SqueezeNet's and GoogLeNet's pools between Fire and Inception
 * modules): MaxPool (the attributes of MaxPool, no indices output) of the float32 inputs
 * concatenated along the channel axis. A max pool reads one channel plane per output plane, so
 * each input is pooled straight into its slice of the output channels, by MaxPool's own kernel:
 * the same values as the pair, and the concatenated tensor, a copy of every input element, never
 * exists.
 */
public final class ConcatMaxPool implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "ConcatMaxPool", 1).variadicInputs(1)
        .requiredAttr("kernel_shape").attr("auto_pad", "NOTSET").optionalAttr("pads")
        .optionalAttr("strides").optionalAttr("dilations").attr("ceil_mode", 0L)
        .shape(ConcatMaxPool::shape).kernel(ctx -> Kernels.one(compute(ctx)));
  }

  private static List<ValueType> shape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    Shape first = ctx.shape(0);
    if (!first.hasRank()) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    if (first.rank() != 4) {
      throw ctx.contradiction("inputs must be [N, C, H, W], the first is " + first);
    }
    Dim channels = Dim.of(0);
    for (int i = 0; i < ctx.inputCount(); i++) {
      Shape s = ctx.shape(i);
      Dim d = s.hasRank() ? s.dim(1) : Dim.UNKNOWN;
      channels = channels.isStatic() && d.isStatic() ? Dim.of(channels.size() + d.size())
          : Dim.UNKNOWN;
    }
    long[] in = new long[2];
    for (int a = 0; a < 2; a++) {
      Dim d = first.dim(a + 2);
      in[a] = d.isStatic() ? d.size() : -1;
    }
    Pooling.Geometry g = Pooling.geometry(ctx, in);
    List<Dim> dims = new ArrayList<>(List.of(first.dim(0), channels));
    for (long o : g.out()) {
      dims.add(o < 0 ? Dim.UNKNOWN : Dim.of(o));
    }
    return ShapeFns.tensor(t, Shape.of(dims));
  }

  private static NdArray compute(KernelContext ctx) {
    NdArray first = ctx.tensor(0);
    long[] dims = first.dims();
    long channels = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      NdArray x = ctx.tensor(i);
      if (x.dtype() != DType.FLOAT) {
        throw ctx.unsupportedType(x.dtype());
      }
      long[] d = x.dims();
      if (d.length != 4 || d[0] != dims[0] || d[2] != dims[2] || d[3] != dims[3]) {
        throw ctx.error("input " + i + " " + x.describe() + " and input 0 "
            + first.describe() + " must be [N, C, H, W] differing only in C");
      }
      channels += d[1];
    }
    Pooling.Geometry g = Pooling.geometry(ctx, Arrays.copyOfRange(dims, 2, 4));
    NdArray out = ctx.output(0, DType.FLOAT,
        new long[] {dims[0], channels, g.out()[0], g.out()[1]});
    int c0 = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      NdArray x = ctx.tensor(i);
      Pooling.maxPool2dInto(x, g, x, g, out, c0, ctx);
      c0 += (int) x.dims()[1];
    }
    return out;
  }
}

package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.Arrays;

/**
 * {@code convoy::ChainedMaxPool(P, X)}, which {@code fuse-max-pool-chain} writes for the spatial
 * pyramid pools of YOLO-style necks (MaxPool 5, 9 and 13 of one input): the stride-1, same-size
 * 2-D MaxPool of float32 {@code X} with window {@code kernel_shape}, computed from {@code P}, the
 * same-size MaxPool of {@code X} with the smaller window {@code inner_kernel_shape}, as a MaxPool
 * of {@code P} with window {@code kernel_shape - inner_kernel_shape + 1} (25 taps per output
 * instead of 81 or 169). The windows of P cover exactly the big window's elements inside the
 * input, and the fast MaxPool's maximum is associative, so the result is MaxPool's own; a window
 * holding a NaN is redone over {@code X} itself, as MaxPool's fast kernel redoes it. Both
 * windows odd along each axis, padded by half (what
 * {@code pads = (k - 1) / 2} and SAME padding are at stride 1).
 */
public final class ChainedMaxPool implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "ChainedMaxPool", 1).inputs(2).requiredAttr("kernel_shape")
        .requiredAttr("inner_kernel_shape").shape(ShapeFns.sameAsInput(1))
        .kernel(ctx -> Kernels.one(chained(ctx)));
  }

  private static NdArray chained(KernelContext ctx) {
    NdArray p = ctx.tensor(0);
    NdArray x = ctx.tensor(1);
    if (x.dtype() != DType.FLOAT || p.dtype() != DType.FLOAT) {
      throw ctx.unsupportedType(x.dtype() != DType.FLOAT ? x.dtype() : p.dtype());
    }
    if (x.rank() != 4 || !Arrays.equals(p.dims(), x.dims())) {
      throw ctx.error("P " + p.describe() + " and X " + x.describe()
          + " must be [N, C, H, W] of one shape");
    }
    long[] k = ctx.attrLongs("kernel_shape");
    long[] inner = ctx.attrLongs("inner_kernel_shape");
    if (k.length != 2 || inner.length != 2) {
      throw ctx.error("kernel_shape and inner_kernel_shape must have 2 entries");
    }
    long[] step = new long[2];
    for (int i = 0; i < 2; i++) {
      if (k[i] % 2 == 0 || inner[i] % 2 == 0 || inner[i] < 1 || inner[i] > k[i]) {
        throw ctx.error("kernel_shape " + Arrays.toString(k) + " and inner_kernel_shape "
            + Arrays.toString(inner) + " must be odd, the inner one no larger");
      }
      step[i] = k[i] - inner[i] + 1;
    }
    long[] in = Arrays.copyOfRange(x.dims(), 2, 4);
    return Pooling.maxPool2dFloat(p, sameSize(step, in), x, sameSize(k, in), ctx);
  }

  /** A stride-1 window of odd size {@code k} padded by half on each side: output = input. */
  private static Pooling.Geometry sameSize(long[] k, long[] in) {
    long[] half = {(k[0] - 1) / 2, (k[1] - 1) / 2};
    return new Pooling.Geometry(k, new long[] {1, 1}, new long[] {1, 1}, half, half.clone(),
        in.clone());
  }
}

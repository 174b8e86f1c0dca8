package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * AveragePool 19 changed what {@code ceil_mode=1} with {@code count_include_pad=1} divides by: a
 * last window that reaches past the padded input divided by the whole kernel size up to opset 18
 * (the overhang counted as padding) and divides by the positions inside the padded input from 19
 * on (ONNX Runtime follows both: [1..7] pooled by 2 with stride 2 ends in 3.5 at 18, 7.0 at 19).
 * Going up, the overhang becomes explicit end padding and {@code ceil_mode} 0, which gives the
 * same output size and the same divisor at every opset; that needs the input's spatial sizes.
 * Going down, opset 18 cannot divide by fewer than the kernel size where a window overhangs.
 * Where no window overhangs, nothing changes.
 */
final class AveragePoolCeilWindows extends Adapters.Simple {
  AveragePoolCeilWindows() {
    super("AveragePool", 19);
  }

  @Override
  public void up(Node n, Rewriter rw) {
    long[] overhang = overhang(n);
    if (overhang == null) {
      return;
    }
    int spatial = overhang.length;
    long[] pads = n.intsAttr("pads") != null ? n.intsAttr("pads").clone() : new long[2 * spatial];
    for (int i = 0; i < spatial; i++) {
      pads[spatial + i] += overhang[i];
    }
    rw.setAttribute(n, "pads", new Attribute.IntsAttr(pads));
    rw.setAttribute(n, "ceil_mode", new Attribute.IntAttr(0));
  }

  @Override
  public void down(Node n, Rewriter rw) {
    if (overhang(n) != null) {
      throw Adapter.cannot(n, version() - 1,
          "a ceil_mode window reaches past the padded input, which opset 18 divides differently");
    }
  }

  /**
   * How far the last ceil-mode window reaches past the padded input along each spatial axis, or
   * null when none does (or the node is not a ceil-mode, pad-counting pool with explicit or no pads);
   * fails when that depends on sizes not known.
   */
  private long[] overhang(Node n) {
    if (n.intAttr("ceil_mode", 0) == 0 || n.intAttr("count_include_pad", 0) == 0
        || !n.stringAttr("auto_pad", "NOTSET").equals("NOTSET")) {
      return null;
    }
    long[] kernel = n.intsAttr("kernel_shape");
    long[] dims = spatialSizes(n);
    if (kernel == null || dims == null || dims.length != kernel.length + 2) {
      throw Adapter.cannot(n, version(), "ceil_mode with count_include_pad needs the input's"
          + " spatial sizes to keep its divisors");
    }
    int spatial = kernel.length;
    long[] pads = n.intsAttr("pads") != null ? n.intsAttr("pads") : new long[2 * spatial];
    long[] strides = n.intsAttr("strides");
    long[] dilations = n.intsAttr("dilations");
    long[] over = new long[spatial];
    boolean any = false;
    for (int i = 0; i < spatial; i++) {
      long in = dims[2 + i];
      long s = strides == null ? 1 : strides[i];
      long k = (kernel[i] - 1) * (dilations == null ? 1 : dilations[i]) + 1;
      long padded = in + pads[i] + pads[spatial + i];
      long out = Math.floorDiv(padded - k + s - 1, s) + 1;
      if ((out - 1) * s >= in + pads[i]) {
        out--;
      }
      over[i] = Math.max(0, (out - 1) * s + k - padded);
      any |= over[i] > 0;
    }
    return any ? over : null;
  }

  /**
   * The input's dims with every spatial size static (batch and channels may be symbolic, as
   * -1: the windows do not depend on them; cnn-41887 has a dynamic batch), or null.
   */
  private static long[] spatialSizes(Node n) {
    Shape s = Facts.shape(n.input(0));
    if (s == null || !s.hasRank() || s.rank() < 3) {
      return null;
    }
    long[] dims = new long[s.rank()];
    for (int i = 0; i < dims.length; i++) {
      boolean known = s.dim(i).isStatic();
      if (i >= 2 && !known) {
        return null;
      }
      dims[i] = known ? s.dim(i).size() : -1;
    }
    return dims;
  }
}

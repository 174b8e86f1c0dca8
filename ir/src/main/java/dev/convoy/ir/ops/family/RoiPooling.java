package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.List;

/**
 * Pooling over regions of interest given as boxes: MaxRoiPool (the maximum over each cell of a
 * box quantized to the feature map) and RoiAlign (average or max of bilinear samples at
 * unquantized positions, with RoiAlign-16's half_pixel coordinates or RoiAlign-10's
 * output_half_pixel).
 */
public final class RoiPooling implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("MaxRoiPool", 1).inputs(2).requiredAttr("pooled_shape").attr("spatial_scale", 1.0f)
        .shape(RoiPooling::maxRoiShape).kernel(ctx -> Kernels.one(maxRoiPool(ctx)));
    // RoiAlign 16 adds coordinate_transformation_mode (default half_pixel); 10 behaves as
    // output_half_pixel.
    r.op("RoiAlign", 10).inputs(3).attr("mode", "avg").attr("output_height", 1L)
        .attr("output_width", 1L).attr("sampling_ratio", 0L).attr("spatial_scale", 1.0f)
        .attr("coordinate_transformation_mode", "output_half_pixel")
        .shape(RoiPooling::roiAlignShape).kernel(ctx -> Kernels.one(roiAlign(ctx)));
    r.op("RoiAlign", 16).inputs(3).attr("mode", "avg").attr("output_height", 1L)
        .attr("output_width", 1L).attr("sampling_ratio", 0L).attr("spatial_scale", 1.0f)
        .attr("coordinate_transformation_mode", "half_pixel")
        .shape(RoiPooling::roiAlignShape).kernel(ctx -> Kernels.one(roiAlign(ctx)));
  }

  private static List<ValueType> maxRoiShape(InferenceContext ctx) {
    long[] pooled = ctx.attrLongs("pooled_shape");
    Shape x = ctx.shape(0);
    Shape rois = ctx.shape(1);
    Dim n = rois.hasRank() && rois.rank() == 2 ? rois.dim(0) : Dim.UNKNOWN;
    Dim c = x.hasRank() && x.rank() == 4 ? x.dim(1) : Dim.UNKNOWN;
    return ShapeFns.tensor(ctx.dtype(0),
        Shape.of(n, c, Dim.of(pooled[0]), Dim.of(pooled[1])));
  }

  private static NdArray maxRoiPool(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray rois = ctx.tensor(1);
    if (!x.dtype().isFloatingPoint() || x.rank() != 4) {
      throw new UnsupportedOpException(ctx.where() + ": needs a 4-D float input, got "
          + x.describe());
    }
    long[] pooled = ctx.attrLongs("pooled_shape");
    double scale = ctx.attrFloat("spatial_scale");
    int ph = (int) pooled[0];
    int pw = (int) pooled[1];
    int c = (int) x.dim(1);
    int h = (int) x.dim(2);
    int w = (int) x.dim(3);
    int num = (int) rois.dim(0);
    double[] v = x.toDoubles();
    double[] r = rois.toDoubles();
    double[] y = new double[num * c * ph * pw];
    for (int i = 0; i < num; i++) {
      int b = (int) r[i * 5];
      int x1 = (int) Math.round(r[i * 5 + 1] * scale);
      int y1 = (int) Math.round(r[i * 5 + 2] * scale);
      int x2 = (int) Math.round(r[i * 5 + 3] * scale);
      int y2 = (int) Math.round(r[i * 5 + 4] * scale);
      int rh = Math.max(y2 - y1 + 1, 1);
      int rw = Math.max(x2 - x1 + 1, 1);
      double bh = (double) rh / ph;
      double bw = (double) rw / pw;
      for (int ch = 0; ch < c; ch++) {
        int base = (b * c + ch) * h * w;
        for (int py = 0; py < ph; py++) {
          int hs = clamp((int) Math.floor(py * bh) + y1, h);
          int he = clamp((int) Math.ceil((py + 1) * bh) + y1, h);
          for (int px = 0; px < pw; px++) {
            int ws = clamp((int) Math.floor(px * bw) + x1, w);
            int we = clamp((int) Math.ceil((px + 1) * bw) + x1, w);
            double m = he <= hs || we <= ws ? 0 : Double.NEGATIVE_INFINITY;
            for (int yy = hs; yy < he; yy++) {
              for (int xx = ws; xx < we; xx++) {
                m = Math.max(m, v[base + yy * w + xx]);
              }
            }
            y[((i * c + ch) * ph + py) * pw + px] = m;
          }
        }
      }
    }
    return NdArray.fromDoubles(x.dtype(), new long[] {num, c, ph, pw}, y);
  }

  private static int clamp(int v, int hi) {
    return Math.min(Math.max(v, 0), hi);
  }

  private static List<ValueType> roiAlignShape(InferenceContext ctx) {
    Shape x = ctx.shape(0);
    Shape rois = ctx.shape(1);
    Dim n = rois.hasRank() && rois.rank() == 2 ? rois.dim(0) : Dim.UNKNOWN;
    Dim c = x.hasRank() && x.rank() == 4 ? x.dim(1) : Dim.UNKNOWN;
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(n, c,
        Dim.of(ctx.attrLong("output_height")), Dim.of(ctx.attrLong("output_width"))));
  }

  private static NdArray roiAlign(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray rois = ctx.tensor(1);
    if (!x.dtype().isFloatingPoint() || x.rank() != 4) {
      throw new UnsupportedOpException(ctx.where() + ": needs a 4-D float input, got "
          + x.describe());
    }
    long[] batch = ctx.longs(2);
    boolean max = switch (ctx.attrString("mode")) {
      case "avg" -> false;
      case "max" -> true;
      default -> throw ctx.error("mode must be 'avg' or 'max'");
    };
    boolean halfPixel = switch (ctx.attrString("coordinate_transformation_mode")) {
      case "half_pixel" -> true;
      case "output_half_pixel" -> false;
      default -> throw ctx.error("coordinate_transformation_mode must be 'half_pixel' or"
          + " 'output_half_pixel'");
    };
    int ph = ctx.attrInt("output_height");
    int pw = ctx.attrInt("output_width");
    int ratio = ctx.attrInt("sampling_ratio");
    double scale = ctx.attrFloat("spatial_scale");
    int c = (int) x.dim(1);
    int h = (int) x.dim(2);
    int w = (int) x.dim(3);
    int num = (int) rois.dim(0);
    double[] v = x.toDoubles();
    double[] r = rois.toDoubles();
    double[] y = new double[num * c * ph * pw];
    double offset = halfPixel ? 0.5 : 0;
    for (int i = 0; i < num; i++) {
      long b = batch[i];
      if (b < 0 || b >= x.dim(0)) {
        throw ctx.error("batch index " + b + " of roi " + i + " is out of range");
      }
      double sw = r[i * 4] * scale - offset;
      double sh = r[i * 4 + 1] * scale - offset;
      double rw = r[i * 4 + 2] * scale - offset - sw;
      double rh = r[i * 4 + 3] * scale - offset - sh;
      if (!halfPixel) {
        rw = Math.max(rw, 1);
        rh = Math.max(rh, 1);
      }
      double bh = rh / ph;
      double bw = rw / pw;
      int gh = ratio > 0 ? ratio : (int) Math.ceil(rh / ph);
      int gw = ratio > 0 ? ratio : (int) Math.ceil(rw / pw);
      double count = Math.max(gh * gw, 1);
      for (int ch = 0; ch < c; ch++) {
        int base = (int) ((b * c + ch) * h * w);
        for (int py = 0; py < ph; py++) {
          for (int px = 0; px < pw; px++) {
            double acc = 0;
            boolean first = true;
            for (int iy = 0; iy < gh; iy++) {
              double yy = sh + py * bh + (iy + 0.5) * bh / gh;
              for (int ix = 0; ix < gw; ix++) {
                double xx = sw + px * bw + (ix + 0.5) * bw / gw;
                double s = bilinear(v, base, h, w, yy, xx, max);
                if (max) {
                  acc = first ? s : Math.max(acc, s);
                  first = false;
                } else {
                  acc += s;
                }
              }
            }
            y[((i * c + ch) * ph + py) * pw + px] = max ? acc : acc / count;
          }
        }
      }
    }
    return NdArray.fromDoubles(x.dtype(), new long[] {num, c, ph, pw}, y);
  }

  /**
   * One RoiAlign sample: the bilinear interpolation at (y, x), or (for max mode, as ONNX Runtime
   * and the ONNX reference define it) the largest of the four weighted corner terms. Samples more
   * than one pixel outside the map contribute 0.
   */
  private static double bilinear(double[] v, int base, int h, int w, double y, double x,
      boolean max) {
    if (y < -1.0 || y > h || x < -1.0 || x > w) {
      return 0;
    }
    y = Math.max(y, 0);
    x = Math.max(x, 0);
    int yl = (int) y;
    int xl = (int) x;
    int yh;
    int xh;
    if (yl >= h - 1) {
      yh = yl = h - 1;
      y = yl;
    } else {
      yh = yl + 1;
    }
    if (xl >= w - 1) {
      xh = xl = w - 1;
      x = xl;
    } else {
      xh = xl + 1;
    }
    double ly = y - yl;
    double lx = x - xl;
    double hy = 1 - ly;
    double hx = 1 - lx;
    double a = hy * hx * v[base + yl * w + xl];
    double b = hy * lx * v[base + yl * w + xh];
    double c = ly * hx * v[base + yh * w + xl];
    double d = ly * lx * v[base + yh * w + xh];
    return max ? Math.max(Math.max(a, b), Math.max(c, d)) : a + b + c + d;
  }
}

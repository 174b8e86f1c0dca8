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
import dev.convoy.ir.ops.runtime.Strided;
import java.util.List;

/**
 * Channel rearrangements of the {@code convoy} domain, which the {@code cvy} target's layout pass
 * writes: {@code NhwcDepthToSpace} ({@code blocksize}, {@code mode} DCR or CRD) turns {@code [N, H,
 * W, C]} into {@code [N, H*b, W*b, C/b^2]} and {@code NhwcSpaceToDepth} back, moving the same
 * elements as the standard ops on the transposed data (in this layout the channels of one output
 * pixel come from one input pixel: a run of {@code C/b^2} (DCR) is one copy); {@code
 * ChannelShuffle} ({@code axis}, {@code group} g) is ShuffleNet's shuffle on any axis of C
 * elements, {@code Reshape} of that axis to {@code [g, C/g]}, the two swapped, {@code Reshape}
 * back: output index {@code j*g + i} is input index {@code i*C/g + j}, in any layout and type.
 */
public final class NhwcRearrange implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "NhwcDepthToSpace", 1).requiredAttr("blocksize")
        .attr("mode", "DCR").shape(ctx -> shape(ctx, true))
        .kernel(ctx -> Kernels.one(rearrange(ctx, true)));
    r.op(OpCatalog.CONVOY_DOMAIN, "NhwcSpaceToDepth", 1).requiredAttr("blocksize")
        .shape(ctx -> shape(ctx, false)).kernel(ctx -> Kernels.one(rearrange(ctx, false)));
    r.op(OpCatalog.CONVOY_DOMAIN, "ChannelShuffle", 1).requiredAttr("axis")
        .requiredAttr("group").shape(NhwcRearrange::shuffleShape)
        .kernel(ctx -> Kernels.one(shuffle(ctx)));
  }

  private static List<ValueType> shuffleShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (s.hasRank()) {
      long axis = ctx.attrLong("axis");
      long g = ctx.attrLong("group");
      if (axis < 0 || axis >= s.rank() || g <= 0) {
        throw ctx.contradiction("axis " + axis + " and group " + g + " do not fit " + s);
      }
      Dim c = s.dim((int) axis);
      if (c.isStatic() && c.size() % g != 0) {
        throw ctx.contradiction("group " + g + " does not divide axis " + axis + " of " + s);
      }
    }
    return ShapeFns.tensor(ctx.dtype(0), s);
  }

  /** The shuffle as a strided copy: [outer, C/g, g, inner] read from [outer, g, C/g, inner]. */
  private static NdArray shuffle(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    long[] d = x.dims();
    int axis = ctx.attrInt("axis");
    int g = ctx.attrInt("group");
    if (axis < 0 || axis >= d.length || g <= 0 || d[axis] % g != 0) {
      throw ctx.error("axis " + axis + " and group " + g + " do not fit " + x.describe());
    }
    long outer = 1;
    for (int k = 0; k < axis; k++) {
      outer *= d[k];
    }
    long inner = 1;
    for (int k = axis + 1; k < d.length; k++) {
      inner *= d[k];
    }
    int c = (int) d[axis];
    int per = c / g;
    NdArray y = ctx.output(0, x.dtype(), d);
    if (inner == 1 && x.array() instanceof float[] xs) {
      lastAxis(xs, x.offset(), (float[]) y.array(), y.offset(), (int) outer, g, per);
      return y;
    }
    long[] view = {outer, per, g, inner};
    int[] from = {(int) (c * inner), (int) inner, (int) (per * inner), 1};
    Strided.copy(x.array(), x.offset(), from, y.array(), y.offset(), Strided.strides(view), view);
    return y;
  }

  /**
   * The shuffle of the last axis (channels-last), float32: per pixel, a loop writing the {@code
   * c} channels in order (a strided copy would be {@code c/g} rows of {@code g} elements each).
   */
  private static void lastAxis(float[] x, int x0, float[] y, int y0, int outer, int g, int per) {
    int c = g * per;
    for (int o = 0; o < outer; o++) {
      int src = x0 + o * c;
      int dst = y0 + o * c;
      if (g == 2) {
        // ShuffleNet's two branches: the two halves interleaved, one pass over each.
        for (int j = 0; j < per; j++, dst += 2) {
          y[dst] = x[src + j];
          y[dst + 1] = x[src + per + j];
        }
        continue;
      }
      for (int j = 0; j < per; j++) {
        for (int i = 0; i < g; i++) {
          y[dst++] = x[src + i * per + j];
        }
      }
    }
  }

  private static List<ValueType> shape(InferenceContext ctx, boolean toSpace) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    if (s.rank() != 4) {
      throw ctx.contradiction("input must be [N, H, W, C], got " + s);
    }
    long b = ctx.attrLong("blocksize");
    long bb = b * b;
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(List.of(s.dim(0),
        scaled(s.dim(1), b, toSpace), scaled(s.dim(2), b, toSpace),
        scaled(s.dim(3), bb, !toSpace))));
  }

  private static Dim scaled(Dim d, long f, boolean up) {
    if (!d.isStatic()) {
      return Dim.UNKNOWN;
    }
    return Dim.of(up ? d.size() * f : d.size() / f);
  }

  private static NdArray rearrange(KernelContext ctx, boolean toSpace) {
    NdArray x = ctx.tensor(0);
    if (x.dtype() != DType.FLOAT) {
      throw ctx.unsupportedType(x.dtype());
    }
    long[] d = x.dims();
    int b = ctx.attrInt("blocksize");
    if (x.rank() != 4 || b <= 0) {
      throw ctx.error("input must be [N, H, W, C] with a positive blocksize, got "
          + x.describe());
    }
    boolean crd = toSpace && ctx.attrString("mode").equals("CRD");
    if (toSpace && !crd && !ctx.attrString("mode").equals("DCR")) {
      throw ctx.error("mode must be DCR or CRD, got '" + ctx.attrString("mode") + "'");
    }
    // The space side [N, Hs, Ws, Cs] and the depth side [N, Hs/b, Ws/b, Cs*b*b].
    int n = (int) d[0];
    int hs = (int) (toSpace ? d[1] * b : d[1]);
    int ws = (int) (toSpace ? d[2] * b : d[2]);
    int cs = (int) (toSpace ? d[3] / ((long) b * b) : d[3]);
    if (toSpace ? d[3] % ((long) b * b) != 0 : d[1] % b != 0 || d[2] % b != 0) {
      throw ctx.error("blocksize " + b + " does not divide " + x.describe());
    }
    int hd = hs / b;
    int wd = ws / b;
    int cd = cs * b * b;
    long[] out = toSpace ? new long[] {n, hs, ws, cs} : new long[] {n, hd, wd, cd};
    // Read where the input lies and written into the kernel's output (arena views included).
    NdArray result = ctx.output(0, DType.FLOAT, out);
    float[] xs = (float[]) x.array();
    float[] y = (float[]) result.array();
    float[] space = toSpace ? y : xs;
    float[] depth = toSpace ? xs : y;
    int spaceAt = toSpace ? result.offset() : x.offset();
    int depthAt = toSpace ? x.offset() : result.offset();
    for (int img = 0; img < n; img++) {
      for (int h = 0; h < hd; h++) {
        for (int w = 0; w < wd; w++) {
          int dBase = depthAt + ((img * hd + h) * wd + w) * cd;
          for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
              int sBase = spaceAt + ((img * hs + h * b + i) * ws + w * b + j) * cs;
              if (crd) {
                for (int c = 0; c < cs; c++) {
                  space[sBase + c] = depth[dBase + c * b * b + i * b + j];
                }
              } else if (toSpace) {
                System.arraycopy(depth, dBase + (i * b + j) * cs, space, sBase, cs);
              } else {
                System.arraycopy(space, sBase, depth, dBase + (i * b + j) * cs, cs);
              }
            }
          }
        }
      }
    }
    return result;
  }
}

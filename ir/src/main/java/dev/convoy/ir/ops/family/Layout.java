package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Data-movement ops that permute or replicate elements: Transpose, Tile, DepthToSpace and
 * SpaceToDepth, each a {@link Strided} copy (no kernel touches elements one by one through a
 * generic accessor; Transpose's shape function permutes symbolic dims too), and Col2Im, which adds
 * sliding blocks back into an image. Joining and splitting live in {@link Concat}, taking and
 * extending boxes in {@link Slice}.
 */
public final class Layout implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Transpose", 1).optionalAttr("perm").shape(Layout::transposeShape)
        .kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          return one(transpose(x, perm(ctx, ctx.attrLongs("perm"), x.rank()), ctx::output));
        });
    r.op("Tile", 6).inputs(2).shape(Layout::tileShape).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      long[] reps = ctx.longs(1);
      if (reps.length != x.rank()) {
        throw ctx.error("repeats has " + reps.length + " entries for a rank-" + x.rank()
            + " input");
      }
      return one(tile(ctx, x, reps));
    });
    registerDepthSpace(r);
    r.op("Col2Im", 18).inputs(3).optionalAttr("dilations").optionalAttr("pads")
        .optionalAttr("strides").shape(ctx -> {
          Shape s = ctx.shape(0);
          long[] image = ctx.constantLongs(1);
          long[] block = ctx.constantLongs(2);
          if (!s.hasRank() || image == null || block == null) {
            return ShapeFns.tensor(ctx.dtype(0), image == null ? Shape.unknownRank()
                : ShapeFns.unknownDims(image.length + 2));
          }
          List<Dim> out = new ArrayList<>();
          out.add(s.dim(0));
          Dim cb = s.dim(1);
          long blockSize = 1;
          for (long k : block) {
            blockSize *= k;
          }
          out.add(cb.isStatic() ? Dim.of(cb.size() / blockSize) : Dim.UNKNOWN);
          for (long d : image) {
            out.add(Dim.of(d));
          }
          return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
        }).kernel(ctx -> one(col2Im(ctx)));
  }

  private static int[] perm(NodeContext ctx, long[] perm, int rank) {
    int[] p = new int[rank];
    if (perm == null) {
      for (int i = 0; i < rank; i++) {
        p[i] = rank - 1 - i;
      }
      return p;
    }
    if (perm.length != rank) {
      throw ctx.error("perm " + Arrays.toString(perm) + " does not fit rank " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      int a = ctx.axis(perm[i], rank);
      if (seen[a]) {
        throw ctx.error("perm " + Arrays.toString(perm) + " is not a permutation");
      }
      seen[a] = true;
      p[i] = a;
    }
    return p;
  }

  private static List<ValueType> transposeShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      long[] p = ctx.attrLongs("perm");
      return ShapeFns.tensor(ctx.dtype(0),
          p == null ? Shape.unknownRank() : ShapeFns.unknownDims(p.length));
    }
    int[] p = perm(ctx, ctx.attrLongs("perm"), s.rank());
    Dim[] out = new Dim[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = s.dim(p[i]);
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** {@code x} with axes permuted: output axis i is input axis {@code perm[i]}. */
  static NdArray transpose(NdArray x, int[] perm) {
    return transpose(x, perm, KernelContext.Outputs.FRESH);
  }

  /** As above, written into the buffer {@code outputs} gives for output 0. */
  private static NdArray transpose(NdArray x, int[] perm, KernelContext.Outputs outputs) {
    int[] st = Strided.strides(x.dims());
    long[] outDims = new long[perm.length];
    int[] outStrides = new int[perm.length];
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      outDims[i] = x.dim(perm[i]);
      outStrides[i] = st[perm[i]];
      identity &= perm[i] == i;
    }
    return identity ? x
        : Strided.view(x, 0, outStrides, outputs.take(0, x.dtype(), outDims));
  }

  /** Two dims that must be equal: the more specific one; a contradiction when both static differ. */
  static Dim mergeDim(NodeContext ctx, Dim a, Dim b) {
    if (a.isStatic() && b.isStatic() && a.size() != b.size()) {
      throw new ShapeInferenceException("dims " + a + " and " + b + " must be equal");
    }
    if (a.isStatic()) {
      return a;
    }
    if (b.isStatic() || a instanceof Dim.Unknown) {
      return b;
    }
    return a;
  }

  private static List<ValueType> tileShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    long[] reps = ctx.constantLongs(1);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    if (reps == null) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(s.rank()));
    }
    if (reps.length != s.rank()) {
      throw ctx.contradiction("repeats has " + reps.length + " entries for rank " + s.rank());
    }
    Dim[] out = new Dim[reps.length];
    for (int i = 0; i < reps.length; i++) {
      Dim d = s.dim(i);
      out[i] = reps[i] == 1 ? d : d.isStatic() ? Dim.of(d.size() * reps[i])
          : reps[i] == 0 ? Dim.of(0) : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** Tile as one strided view: dims [r0,d0,r1,d1,...] with stride 0 on the repeat dims. */
  private static NdArray tile(NodeContext ctx, NdArray x, long[] reps) {
    int rank = x.rank();
    int[] st = Strided.strides(x.dims());
    long[] viewDims = new long[2 * rank];
    int[] viewStrides = new int[2 * rank];
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      if (reps[i] < 0) {
        throw ctx.error("repeats must not be negative, got " + Arrays.toString(reps));
      }
      viewDims[2 * i] = reps[i];
      viewDims[2 * i + 1] = x.dim(i);
      viewStrides[2 * i + 1] = st[i];
      out[i] = reps[i] * x.dim(i);
    }
    return Strided.view(x, 0, viewStrides, viewDims).reshape(out);
  }

  private static void registerDepthSpace(OpRegistrar r) {
    r.op("DepthToSpace", 1).requiredAttr("blocksize")
        .shape(ctx -> depthSpaceShape(ctx, true)).kernel(ctx -> one(depthToSpace(ctx, "DCR")));
    r.op("DepthToSpace", 11).requiredAttr("blocksize").attr("mode", "DCR")
        .shape(ctx -> depthSpaceShape(ctx, true))
        .kernel(ctx -> one(depthToSpace(ctx, ctx.attrString("mode"))));
    r.op("SpaceToDepth", 1).requiredAttr("blocksize")
        .shape(ctx -> depthSpaceShape(ctx, false)).kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          long b = ctx.attrLong("blocksize");
          long[] d = rank4(ctx, x);
          if (b <= 0 || d[2] % b != 0 || d[3] % b != 0) {
            throw ctx.error("blocksize " + b + " does not divide the spatial dims of "
                + x.shape());
          }
          NdArray v = x.reshape(new long[] {d[0], d[1], d[2] / b, b, d[3] / b, b});
          return one(transpose(v, new int[] {0, 3, 5, 1, 2, 4})
              .reshape(new long[] {d[0], d[1] * b * b, d[2] / b, d[3] / b}));
        });
  }

  private static long[] rank4(NodeContext ctx, NdArray x) {
    if (x.rank() != 4) {
      throw ctx.error("input must have rank 4, has shape " + x.shape());
    }
    return x.dims();
  }

  private static NdArray depthToSpace(KernelContext ctx, String mode) {
    NdArray x = ctx.tensor(0);
    long b = ctx.attrLong("blocksize");
    long[] d = rank4(ctx, x);
    if (b <= 0 || d[1] % (b * b) != 0) {
      throw ctx.error("blocksize " + b + " squared does not divide the channels of " + x.shape());
    }
    long c = d[1] / (b * b);
    long[] out = {d[0], c, d[2] * b, d[3] * b};
    return switch (mode) {
      case "DCR" -> transpose(x.reshape(new long[] {d[0], b, b, c, d[2], d[3]}),
          new int[] {0, 3, 4, 1, 5, 2}).reshape(out);
      case "CRD" -> transpose(x.reshape(new long[] {d[0], c, b, b, d[2], d[3]}),
          new int[] {0, 1, 4, 2, 5, 3}).reshape(out);
      default -> throw ctx.error("mode must be DCR or CRD, is '" + mode + "'");
    };
  }

  private static List<ValueType> depthSpaceShape(InferenceContext ctx, boolean toSpace) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(4));
    }
    if (s.rank() != 4) {
      throw ctx.contradiction("input must have rank 4, has shape " + s);
    }
    long b = ctx.attrLong("blocksize");
    Dim[] out = {s.dim(0), Dim.UNKNOWN, Dim.UNKNOWN, Dim.UNKNOWN};
    Dim c = s.dim(1);
    Dim h = s.dim(2);
    Dim w = s.dim(3);
    if (toSpace) {
      out[1] = c.isStatic() ? Dim.of(c.size() / (b * b)) : Dim.UNKNOWN;
      out[2] = h.isStatic() ? Dim.of(h.size() * b) : Dim.UNKNOWN;
      out[3] = w.isStatic() ? Dim.of(w.size() * b) : Dim.UNKNOWN;
    } else {
      out[1] = c.isStatic() ? Dim.of(c.size() * b * b) : Dim.UNKNOWN;
      out[2] = h.isStatic() ? Dim.of(h.size() / b) : Dim.UNKNOWN;
      out[3] = w.isStatic() ? Dim.of(w.size() / b) : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray col2Im(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    long[] image = ctx.longs(1);
    long[] block = ctx.longs(2);
    int r = image.length;
    if (block.length != r || x.rank() != 3) {
      throw ctx.error("input " + x.shape() + ", image_shape and block_shape do not agree");
    }
    long[] dil = ctx.hasAttr("dilations") ? ctx.attrLongs("dilations") : ones(r);
    long[] str = ctx.hasAttr("strides") ? ctx.attrLongs("strides") : ones(r);
    long[] pads = ctx.hasAttr("pads") ? ctx.attrLongs("pads") : new long[2 * r];
    long blockSize = 1;
    for (long k : block) {
      blockSize *= k;
    }
    if (x.dim(1) % blockSize != 0) {
      throw ctx.error("input channels " + x.dim(1) + " are not a multiple of the block size "
          + blockSize);
    }
    long channels = x.dim(1) / blockSize;
    long[] grid = new long[r];
    long blocks = 1;
    for (int d = 0; d < r; d++) {
      grid[d] = (image[d] + pads[d] + pads[d + r] - dil[d] * (block[d] - 1) - 1) / str[d] + 1;
      blocks *= grid[d];
    }
    if (blocks != x.dim(2)) {
      throw ctx.error("input has " + x.dim(2) + " blocks, the image and block shapes give "
          + blocks);
    }
    long[] outDims = new long[r + 2];
    outDims[0] = x.dim(0);
    outDims[1] = channels;
    System.arraycopy(image, 0, outDims, 2, r);
    int[] ist = Strided.strides(image);
    int plane = NdArray.checkedSize(image);
    double[] in = x.toDoubles();
    double[] out = new double[NdArray.checkedSize(outDims)];
    int[] kc = new int[r];
    int[] bc = new int[r];
    for (int n = 0; n < x.dim(0); n++) {
      for (int c = 0; c < channels; c++) {
        Arrays.fill(kc, 0);
        for (int k = 0; k < blockSize; k++) {
          int row = (int) ((n * x.dim(1) + c * blockSize + k) * blocks);
          Arrays.fill(bc, 0);
          for (int b = 0; b < blocks; b++) {
            int off = 0;
            boolean inside = true;
            for (int d = 0; d < r && inside; d++) {
              long pos = bc[d] * str[d] - pads[d] + kc[d] * dil[d];
              inside = pos >= 0 && pos < image[d];
              off += (int) pos * ist[d];
            }
            if (inside) {
              out[(int) ((n * channels + c) * plane) + off] += in[row + b];
            }
            step(bc, grid);
          }
          step(kc, block);
        }
      }
    }
    return NdArray.fromDoubles(x.dtype(), outDims, out);
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    Arrays.fill(a, 1);
    return a;
  }

  private static void step(int[] counter, long[] dims) {
    for (int d = counter.length - 1; d >= 0; d--) {
      if (++counter[d] < dims[d]) {
        return;
      }
      counter[d] = 0;
    }
  }
}

package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that compute or change shapes without moving data in memory order: Reshape, Flatten,
 * Squeeze, Unsqueeze, Shape, Size, Expand and BitCast ({@link Generators} makes tensors). Their
 * shape functions are the core of the shape computations the optimizer folds, so they keep
 * symbolic dims wherever they are derivable (a Reshape's {@code 0} copies a symbol, a {@code -1}
 * is solved when the symbols cancel, Flatten over one symbolic dim keeps it).
 */
public final class Reshaping implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    registerReshape(r);
    registerSqueeze(r);
    registerShapeQueries(r);
    r.op("Expand", 8).inputs(2).shape(Reshaping::expandShape).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      long[] target = ctx.longs(1);
      long[] out;
      try {
        out = Broadcast.shape(x.dims(), target);
      } catch (dev.convoy.ir.ConvoyException e) {
        throw ctx.error(e.getMessage());
      }
      return one(Strided.view(x, 0, Broadcast.stridesFor(x.dims(), out), out));
    });
    r.op("BitCast", 26).requiredAttr("to").shape(ctx -> {
      DType to = DType.fromOnnx(ctx.attrInt("to"));
      return ShapeFns.tensor(to, ctx.shape(0));
    }).kernel(ctx -> one(bitCast(ctx, ctx.tensor(0), DType.fromOnnx(ctx.attrInt("to")))));
  }

  // ---- Reshape and Flatten ----

  private static void registerReshape(OpRegistrar r) {
    r.op("Reshape", 1).attr("shape", new long[0]).shape(ctx -> ShapeFns.tensor(ctx.dtype(0),
            reshapeShape(ctx, ctx.shape(0), ShapeValue.ofLongs(ctx.attrLongs("shape")), false)))
        .kernel(ctx -> one(reshape(ctx, ctx.tensor(0), ctx.attrLongs("shape"), false)));
    r.op("Reshape", 5).inputs(2).shape(ctx -> reshapeType(ctx, false))
        .kernel(ctx -> one(reshape(ctx, ctx.tensor(0), ctx.longs(1), false)));
    r.op("Reshape", 14).inputs(2).attr("allowzero", 0L)
        .shape(ctx -> reshapeType(ctx, ctx.attrLong("allowzero") != 0))
        .kernel(ctx -> one(reshape(ctx, ctx.tensor(0), ctx.longs(1),
            ctx.attrLong("allowzero") != 0)));
    r.op("Flatten", 1).attr("axis", 1L).shape(ctx -> {
      Shape s = ctx.shape(0);
      if (!s.hasRank()) {
        return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(2));
      }
      int axis = flattenAxis(ctx, ctx.attrLong("axis"), s.rank());
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(ShapeFns.product(s.dims().subList(0, axis)),
          ShapeFns.product(s.dims().subList(axis, s.rank()))));
    }).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      int axis = flattenAxis(ctx, ctx.attrLong("axis"), x.rank());
      long outer = 1;
      for (int i = 0; i < axis; i++) {
        outer *= x.dim(i);
      }
      return one(x.reshape(new long[] {outer, outer == 0 ? 0 : x.size() / outer}));
    });
  }

  private static int flattenAxis(NodeContext ctx, long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank) {
      throw ctx.error("axis " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }

  private static List<ValueType> reshapeType(InferenceContext ctx, boolean allowZero) {
    ShapeValue target = ctx.shapeValue(1);
    passShapeValue(ctx);
    if (target == null) {
      Shape ts = ctx.shape(1);
      if (ts.hasRank() && ts.rank() == 1 && ts.dim(0).isStatic()) {
        return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims((int) ts.dim(0).size()));
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
    }
    return ShapeFns.tensor(ctx.dtype(0), reshapeShape(ctx, ctx.shape(0), target, allowZero));
  }

  /**
   * The output shape of a Reshape to {@code target}: {@code 0} copies the input dim (symbolic
   * ones too), {@code -1} is solved from the element count; with symbolic input dims it is
   * solved when the symbols on both sides cancel, leaving one symbol or a static quotient.
   */
  static Shape reshapeShape(InferenceContext ctx, Shape in, ShapeValue target,
      boolean allowZero) {
    Dim[] out = new Dim[target.size()];
    int inferAt = -1;
    for (int i = 0; i < target.size(); i++) {
      if (!target.isNumber(i)) {
        // A size taken from some tensor's shape (symbolic or unknown).
        out[i] = target.dim(i);
        continue;
      }
      long t = target.number(i);
      if (t == -1) {
        if (inferAt >= 0) {
          throw ctx.contradiction("shape " + target + " has more than one -1");
        }
        inferAt = i;
      } else if (t == 0 && !allowZero) {
        if (!in.hasRank()) {
          out[i] = Dim.UNKNOWN;
        } else if (i >= in.rank()) {
          throw ctx.contradiction("shape " + target + " copies dim " + i
              + " of a rank-" + in.rank() + " input");
        } else {
          out[i] = in.dim(i);
        }
      } else if (t < 0) {
        throw ctx.contradiction("shape " + target + " has a negative size");
      } else {
        out[i] = Dim.of(t);
      }
    }
    if (inferAt >= 0) {
      out[inferAt] = in.hasRank() ? solve(in.dims(), out, inferAt) : Dim.UNKNOWN;
    } else if (in.isStatic() && Arrays.stream(out).allMatch(Dim::isStatic)) {
      long want = in.numElements();
      long got = Shape.of(out).numElements();
      if (want != got) {
        throw ctx.contradiction("cannot reshape " + in + " (" + want + " elements) to "
            + Shape.of(out));
      }
    }
    return Shape.of(out);
  }

  /** Solves the one {@code -1} of a reshape: cancel symbols, divide static sizes. */
  private static Dim solve(List<Dim> in, Dim[] out, int at) {
    long inStatic = 1;
    List<String> symbols = new ArrayList<>();
    for (Dim d : in) {
      if (d instanceof Dim.Static s) {
        inStatic *= s.size();
      } else if (d instanceof Dim.Symbolic s) {
        symbols.add(s.name());
      } else {
        return Dim.UNKNOWN;
      }
    }
    long outStatic = 1;
    for (int i = 0; i < out.length; i++) {
      if (i == at) {
        continue;
      }
      Dim d = out[i];
      if (d instanceof Dim.Static s) {
        outStatic *= s.size();
      } else if (d instanceof Dim.Symbolic s) {
        if (!symbols.remove(s.name())) {
          return Dim.UNKNOWN;
        }
      } else {
        return Dim.UNKNOWN;
      }
    }
    if (symbols.isEmpty()) {
      return outStatic != 0 && inStatic % outStatic == 0 ? Dim.of(inStatic / outStatic)
          : Dim.UNKNOWN;
    }
    if (symbols.size() == 1 && inStatic == outStatic && inStatic != 0) {
      return Dim.of(symbols.get(0));
    }
    return Dim.UNKNOWN;
  }

  static NdArray reshape(NodeContext ctx, NdArray x, long[] target, boolean allowZero) {
    long[] in = x.dims();
    long[] out = target.clone();
    int inferAt = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == -1) {
        if (inferAt >= 0) {
          throw ctx.error("shape " + Arrays.toString(target) + " has more than one -1");
        }
        inferAt = i;
        continue;
      }
      if (out[i] == 0 && !allowZero) {
        if (i >= in.length) {
          throw ctx.error("shape " + Arrays.toString(target) + " copies dim " + i
              + " of input shape " + Shape.toString(in));
        }
        out[i] = in[i];
      } else if (out[i] < 0) {
        throw ctx.error("shape " + Arrays.toString(target) + " has a negative size");
      }
      known *= out[i];
    }
    if (inferAt >= 0) {
      if (known == 0 || x.size() % known != 0) {
        throw ctx.error("cannot reshape " + Shape.toString(in) + " to " + Arrays.toString(target));
      }
      out[inferAt] = x.size() / known;
    } else if (known != x.size()) {
      throw ctx.error("cannot reshape " + Shape.toString(in) + " (" + x.size() + " elements) to "
          + Shape.toString(out));
    }
    return x.reshape(out);
  }

  /**
   * Ops that keep the elements of their input 0 (Reshape, Squeeze, Unsqueeze) keep what is
   * known about them.
   */
  private static void passShapeValue(InferenceContext ctx) {
    ShapeValue v = ctx.shapeValue(0);
    if (v != null && ctx.dtype(0) != null && ctx.dtype(0).isInteger()) {
      ctx.setShapeValue(0, v);
    }
  }

  // ---- Squeeze and Unsqueeze ----

  private static void registerSqueeze(OpRegistrar r) {
    r.op("Squeeze", 1).optionalAttr("axes")
        .shape(ctx -> squeezeType(ctx, ctx.attrLongs("axes")))
        .kernel(ctx -> one(squeeze(ctx, ctx.tensor(0), ctx.attrLongs("axes"))));
    r.op("Squeeze", 13).inputs(1, 2)
        .shape(ctx -> ctx.hasInput(1) && ctx.constantLongs(1) == null
            ? ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank())
            : squeezeType(ctx, ctx.constantLongs(1)))
        .kernel(ctx -> one(squeeze(ctx, ctx.tensor(0), ctx.longs(1))));
    r.op("Unsqueeze", 1).requiredAttr("axes")
        .shape(ctx -> unsqueezeType(ctx, ctx.attrLongs("axes")))
        .kernel(ctx -> one(unsqueeze(ctx, ctx.tensor(0), ctx.attrLongs("axes"))));
    r.op("Unsqueeze", 13).inputs(2)
        .shape(ctx -> unsqueezeType(ctx, ctx.constantLongs(1)))
        .kernel(ctx -> one(unsqueeze(ctx, ctx.tensor(0), ctx.longs(1))));
  }

  private static List<ValueType> squeezeType(InferenceContext ctx, long[] axes) {
    passShapeValue(ctx);
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    List<Dim> out = new ArrayList<>();
    if (axes == null || axes.length == 0) {
      for (Dim d : s.dims()) {
        if (!d.isStatic()) {
          // A symbolic dim may be 1 at run time: which dims go is unknown.
          return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
        }
        if (d.size() != 1) {
          out.add(d);
        }
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
    }
    boolean[] drop = axisSet(ctx, axes, s.rank());
    for (int i = 0; i < s.rank(); i++) {
      Dim d = s.dim(i);
      if (drop[i]) {
        if (d.isStatic() && d.size() != 1) {
          throw ctx.contradiction("cannot squeeze axis " + i + " of size " + d.size());
        }
      } else {
        out.add(d);
      }
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray squeeze(NodeContext ctx, NdArray x, long[] axes) {
    long[] in = x.dims();
    List<Long> out = new ArrayList<>();
    if (axes == null || axes.length == 0) {
      for (long d : in) {
        if (d != 1) {
          out.add(d);
        }
      }
    } else {
      boolean[] drop = axisSet(ctx, axes, in.length);
      for (int i = 0; i < in.length; i++) {
        if (!drop[i]) {
          out.add(in[i]);
        } else if (in[i] != 1) {
          throw ctx.error("cannot squeeze axis " + i + " of size " + in[i]);
        }
      }
    }
    return x.reshape(out.stream().mapToLong(Long::longValue).toArray());
  }

  private static List<ValueType> unsqueezeType(InferenceContext ctx, long[] axes) {
    passShapeValue(ctx);
    Shape s = ctx.shape(0);
    if (axes == null || !s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
    }
    int rank = s.rank() + axes.length;
    boolean[] insert = axisSet(ctx, axes, rank);
    List<Dim> out = new ArrayList<>();
    int k = 0;
    for (int i = 0; i < rank; i++) {
      out.add(insert[i] ? Dim.of(1) : s.dim(k++));
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray unsqueeze(NodeContext ctx, NdArray x, long[] axes) {
    int rank = x.rank() + axes.length;
    boolean[] insert = axisSet(ctx, axes, rank);
    long[] out = new long[rank];
    int k = 0;
    for (int i = 0; i < rank; i++) {
      out[i] = insert[i] ? 1 : x.dim(k++);
    }
    return x.reshape(out);
  }

  /** Normalized axes as a membership mask; duplicates are an error. */
  static boolean[] axisSet(NodeContext ctx, long[] axes, int rank) {
    boolean[] set = new boolean[rank];
    for (long a : axes) {
      int ax = ctx.axis(a, rank);
      if (set[ax]) {
        throw ctx.error("axis " + a + " is given twice");
      }
      set[ax] = true;
    }
    return set;
  }

  // ---- Shape and Size ----

  private static void registerShapeQueries(OpRegistrar r) {
    r.op("Shape", 1).shape(ctx -> {
      Shape s = ctx.shape(0);
      if (!s.hasRank()) {
        return ShapeFns.tensor(DType.INT64, Shape.of(Dim.UNKNOWN));
      }
      ctx.setShapeValue(0, ShapeValue.ofDims(s.dims()));
      return ShapeFns.tensor(DType.INT64, Shape.of(s.rank()));
    }).kernel(ctx -> one(NdArray.vector(shapeOf(ctx.input(0)))));
    r.op("Shape", 15).attr("start", 0L).optionalAttr("end").shape(ctx -> {
      Shape s = ctx.shape(0);
      if (!s.hasRank()) {
        return ShapeFns.tensor(DType.INT64, Shape.of(Dim.UNKNOWN));
      }
      int[] range = shapeRange(ctx, s.rank());
      ctx.setShapeValue(0, ShapeValue.ofDims(s.dims().subList(range[0], range[1])));
      return ShapeFns.tensor(DType.INT64, Shape.of(range[1] - range[0]));
    }).kernel(ctx -> {
      long[] dims = shapeOf(ctx.input(0));
      int[] range = shapeRange(ctx, dims.length);
      return one(NdArray.vector(Arrays.copyOfRange(dims, range[0], range[1])));
    });
    r.op("Size", 1).shape(ctx -> {
      Shape s = ctx.shape(0);
      if (s.isStatic()) {
        ctx.setShapeValue(0, ShapeValue.ofLongs(s.numElements()));
      }
      return ShapeFns.tensor(DType.INT64, Shape.scalar());
    })
        .kernel(ctx -> one(NdArray.scalarLong(ctx.tensor(0).size())));
  }

  private static long[] shapeOf(RuntimeValue v) {
    if (v instanceof NdArray a) {
      return a.dims();
    }
    throw new dev.convoy.ir.ConvoyException("Shape needs a tensor, got "
        + (v == null ? "nothing" : v.describe()));
  }

  /** Shape-15's [start, end) clamped to [0, rank]; empty when end precedes start. */
  private static int[] shapeRange(NodeContext ctx, int rank) {
    long start = ctx.attrLong("start");
    long end = ctx.hasAttr("end") ? ctx.attrLong("end") : rank;
    start = Math.min(Math.max(start < 0 ? start + rank : start, 0), rank);
    end = Math.min(Math.max(end < 0 ? end + rank : end, 0), rank);
    return new int[] {(int) start, (int) Math.max(start, end)};
  }

  // ---- Expand ----

  private static List<ValueType> expandShape(InferenceContext ctx) {
    ShapeValue target = ctx.shapeValue(1);
    Shape in = ctx.shape(0);
    if (target != null) {
      return ShapeFns.tensor(ctx.dtype(0),
          ShapeFns.broadcastShapes(in, Shape.of(target.asDims())));
    }
    Shape ts = ctx.shape(1);
    if (!in.hasRank() || !ts.hasRank() || ts.rank() != 1 || !ts.dim(0).isStatic()) {
      return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
    }
    int rank = (int) Math.max(in.rank(), ts.dim(0).size());
    Dim[] out = new Dim[rank];
    for (int i = 0; i < rank; i++) {
      int k = i - (rank - in.rank());
      // An input dim other than 1 survives whatever the target says there (1 or the same).
      Dim d = k >= 0 ? in.dim(k) : Dim.UNKNOWN;
      out[i] = d.isStatic() && d.size() != 1 ? d : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  // ---- BitCast ----

  private static NdArray bitCast(NodeContext ctx, NdArray x, DType to) {
    DType from = x.dtype();
    if (from == DType.STRING || to == DType.STRING) {
      throw ctx.error("BitCast does not accept strings");
    }
    if (!to.isSupported()) {
      throw new dev.convoy.ir.UnsupportedOpException(
          ctx.where() + ": bit cast to " + to.textName() + " is not supported");
    }
    if (from.byteSize() != to.byteSize()) {
      throw ctx.error("cannot bit cast " + from.textName() + " to " + to.textName()
          + ": element sizes differ");
    }
    if (NdArray.storageClass(from) == NdArray.storageClass(to) && to != DType.BOOL) {
      return NdArray.wrap(to, x.dims(), x.data());
    }
    Tensor bits = x.toTensor();
    return NdArray.fromTensor(Tensor.of(to, bits.dims(), bits.data()));
  }
}

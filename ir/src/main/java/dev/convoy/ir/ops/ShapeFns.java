package dev.convoy.ir.ops;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.graph.ValueType.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape-function building blocks for families: common output rules ({@link #sameAsInput},
 * {@link #broadcast}) and symbolic-dimension arithmetic ({@link #broadcastShapes}). Symbolic
 * dims propagate by name: {@code [N,3] + [3]} is {@code [N,3]}.
 */
public final class ShapeFns {
  private ShapeFns() {}

  /** One tensor output. */
  public static List<ValueType> tensor(DType dtype, Shape shape) {
    if (dtype == null) {
      return null;
    }
    return List.of(new TensorType(dtype, shape == null ? Shape.unknownRank() : shape));
  }

  /** Output 0 has exactly input {@code i}'s type (tensor, sequence or optional). */
  public static ShapeFn sameAsInput(int i) {
    return ctx -> {
      ValueType t = ctx.inputType(i);
      return t == null ? null : List.of(t);
    };
  }

  /** Output 0: input {@code i}'s shape with element type {@code dtype}. */
  public static ShapeFn sameShapeAs(int i, DType dtype) {
    return ctx -> tensor(dtype, ctx.shape(i));
  }

  /** Output 0: the broadcast of every present input, with the first input's element type. */
  public static ShapeFn broadcast() {
    return ctx -> tensor(firstDType(ctx), broadcastInputs(ctx));
  }

  /** Output 0: the broadcast of every present input, with element type {@code dtype}. */
  public static ShapeFn broadcastTo(DType dtype) {
    return ctx -> tensor(dtype, broadcastInputs(ctx));
  }

  /** The first known input element type. */
  public static DType firstDType(InferenceContext ctx) {
    for (int i = 0; i < ctx.inputCount(); i++) {
      if (ctx.dtype(i) != null) {
        return ctx.dtype(i);
      }
    }
    return null;
  }

  /** The broadcast of the shapes of every present input. */
  public static Shape broadcastInputs(InferenceContext ctx) {
    Shape out = null;
    for (int i = 0; i < ctx.inputCount(); i++) {
      if (!ctx.hasInput(i)) {
        continue;
      }
      Shape s = ctx.shape(i);
      out = out == null ? s : broadcastShapes(out, s);
    }
    return out == null ? Shape.unknownRank() : out;
  }

  /**
   * Numpy broadcasting over possibly symbolic shapes. Throws {@link ShapeInferenceException}
   * only for a provable mismatch (two different static sizes, neither 1).
   */
  public static Shape broadcastShapes(Shape a, Shape b) {
    if (!a.hasRank() || !b.hasRank()) {
      return Shape.unknownRank();
    }
    int rank = Math.max(a.rank(), b.rank());
    List<Dim> out = new ArrayList<>(rank);
    for (int i = 0; i < rank; i++) {
      int ia = i - (rank - a.rank());
      int ib = i - (rank - b.rank());
      Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
      Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
      out.add(broadcastDim(da, db, a, b));
    }
    return Shape.of(out);
  }

  private static Dim broadcastDim(Dim a, Dim b, Shape sa, Shape sb) {
    if (a.equals(b)) {
      return a;
    }
    if (isOne(a)) {
      return b;
    }
    if (isOne(b)) {
      return a;
    }
    if (a.isStatic() && b.isStatic()) {
      throw new ShapeInferenceException(
          "shapes " + sa + " and " + sb + " cannot be broadcast together");
    }
    // A static size other than 1 decides the result whatever the other dim turns out to be.
    if (a.isStatic()) {
      return a;
    }
    if (b.isStatic()) {
      return b;
    }
    return Dim.UNKNOWN;
  }

  private static boolean isOne(Dim d) {
    return d instanceof Dim.Static s && s.size() == 1;
  }

  /** A shape of {@code rank} unknown dims. */
  public static Shape unknownDims(int rank) {
    Dim[] dims = new Dim[rank];
    Arrays.fill(dims, Dim.UNKNOWN);
    return Shape.of(dims);
  }

  /**
   * The product of {@code dims}: static when all are, the one symbol when the others multiply to
   * 1, else unknown.
   */
  public static Dim product(List<Dim> dims) {
    long p = 1;
    Dim symbol = null;
    for (Dim d : dims) {
      if (d instanceof Dim.Static s) {
        p *= s.size();
      } else if (symbol == null && d instanceof Dim.Symbolic) {
        symbol = d;
      } else {
        return Dim.UNKNOWN;
      }
    }
    if (symbol == null) {
      return Dim.of(p);
    }
    return p == 1 ? symbol : Dim.UNKNOWN;
  }

  /**
   * The Transpose permutation of attention's head split: rank-{@code rank} {@code [..., S, H, D]}
   * to {@code [..., H, S, D]} (its own inverse, the head merge), or with {@code keys} to {@code
   * [..., H, D, S]}; the layouts {@code convoy::Attention}'s {@code num_heads} form stands for.
   */
  public static long[] headPermutation(int rank, boolean keys) {
    long[] perm = new long[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    perm[rank - 3] = rank - 2;
    perm[rank - 2] = keys ? rank - 1 : rank - 3;
    perm[rank - 1] = keys ? rank - 3 : rank - 1;
    return perm;
  }
}

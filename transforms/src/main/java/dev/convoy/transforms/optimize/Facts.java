package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.Arrays;
import java.util.Set;

/**
 * What rules may assume about values: known dtypes and shapes, constant contents, axes given as an
 * attribute or a constant input. Every query answers "unknown" (null, -1) rather than guess, so a
 * rule built on them does nothing when it cannot prove its rewrite safe.
 */
public final class Facts {
  private static final Set<String> SHAPE_ONLY_OPS =
      Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze");

  private Facts() {}

  /**
   * The node producing {@code v} when it only changes its data input's shape (a standard Reshape,
   * Flatten, Squeeze or Unsqueeze, so the data order of its input 0 is kept), else null.
   */
  public static Node shapeOnlyProducer(Value v) {
    Node p = v == null ? null : v.producer();
    return p != null && p.domain().isEmpty() && SHAPE_ONLY_OPS.contains(p.opType())
        && p.input(0) != null ? p : null;
  }

  /** The shape of {@code v}, or null when its type is unknown or not a tensor. */
  public static Shape shape(Value v) {
    ValueType.TensorType t = v == null ? null : v.tensorType();
    return t == null ? null : t.shape();
  }

  /** The rank of {@code v}, or -1 when unknown. */
  public static int rank(Value v) {
    Shape s = shape(v);
    return s != null && s.hasRank() ? s.rank() : -1;
  }

  /** The static sizes of {@code v}, or null when any dim is not a known number. */
  public static long[] staticDims(Value v) {
    if (v != null && v.constant() != null) {
      return v.constant().dims();
    }
    Shape s = shape(v);
    return s != null && s.isStatic() ? s.sizes() : null;
  }

  /** The static size of the last axis of {@code v}, or -1 when unknown, symbolic or a scalar. */
  public static long lastDim(Value v) {
    Shape s = shape(v);
    if (s == null || !s.hasRank() || s.rank() == 0) {
      return -1;
    }
    var d = s.dim(s.rank() - 1);
    return d.isStatic() ? d.size() : -1;
  }

  /** The element type of {@code v}, or null when unknown. */
  public static DType dtype(Value v) {
    if (v != null && v.constant() != null) {
      return v.constant().dtype();
    }
    ValueType.TensorType t = v == null ? null : v.tensorType();
    return t == null ? null : t.dtype();
  }

  /** The integers of a constant integer input, or null when it is absent or not constant. */
  public static long[] constLongs(Value v) {
    Tensor t = v == null ? null : v.constant();
    if (t == null || !(t.dtype().isInteger())) {
      return null;
    }
    return t.toLongArray();
  }

  /**
   * A list of integers given either by an attribute (older opsets) or by a constant input (newer
   * ones). Returns {@code absent} when neither is given, null when the input is not constant.
   */
  public static long[] attrOrInput(Node n, String attr, int input, long[] absent) {
    long[] a = n.intsAttr(attr);
    if (a != null) {
      return a;
    }
    Value v = n.input(input);
    if (v == null) {
      return absent;
    }
    return constLongs(v);
  }

  /**
   * Whether every element of {@code t} is {@code x} (numeric tensors only). Zeros are told apart
   * by sign: {@code -0.0} is not {@code 0.0}, since identities with one are exact and with the
   * other are not.
   */
  public static boolean isAll(Tensor t, double x) {
    if (t == null || t.dtype() == DType.STRING || t.numElements() > 1 << 20) {
      return false;
    }
    for (double d : t.toDoubleArray()) {
      if (Double.compare(d, x) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether broadcasting {@code x} with {@code other} yields exactly {@code x}'s shape and dtype,
   * so that replacing the op's output with {@code x} keeps the output type.
   */
  public static boolean broadcastKeeps(Value x, Value other) {
    Shape xs = shape(x);
    long[] od = staticDims(other);
    DType xt = dtype(x);
    if (xs == null || !xs.hasRank() || od == null || xt == null || xt != dtype(other)) {
      return false;
    }
    if (od.length > xs.rank()) {
      return false;
    }
    for (int i = 0; i < od.length; i++) {
      Dim d = xs.dim(xs.rank() - od.length + i);
      if (od[i] != 1 && !(d.isStatic() && d.size() == od[i])) {
        return false;
      }
    }
    return true;
  }

  /** Axes normalized to [0, rank) and sorted; null when one is out of range. */
  public static long[] normalizeAxes(long[] axes, int rank) {
    long[] out = new long[axes.length];
    for (int i = 0; i < axes.length; i++) {
      long a = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (a < 0 || a >= rank) {
        return null;
      }
      out[i] = a;
    }
    Arrays.sort(out);
    return out;
  }

  /** Whether {@code perm} keeps every axis in place ({@code perm[i] == i}). */
  public static boolean isIdentityPermutation(long[] perm) {
    for (int i = 0; i < perm.length; i++) {
      if (perm[i] != i) {
        return false;
      }
    }
    return true;
  }

  /**
   * The axis of shape {@code x} that shape {@code y} (one axis longer) splits into two positive
   * sizes whose product is that axis, every other size equal; else -1.
   */
  public static int splitAxis(long[] x, long[] y) {
    if (y.length != x.length + 1) {
      return -1;
    }
    int a = 0;
    while (a < x.length && x[a] == y[a]) {
      a++;
    }
    if (a == x.length || y[a] * y[a + 1] != x[a] || y[a] <= 0 || y[a + 1] <= 0) {
      return -1;
    }
    for (int i = a + 1; i < x.length; i++) {
      if (x[i] != y[i + 1]) {
        return -1;
      }
    }
    return a;
  }

  /**
   * The Split that alone reads {@code v} (same graph, input 0) and cuts axis {@code a} of {@code
   * v}'s static shape {@code x} into equal parts, every output present and static, each of
   * {@code x}'s shape but for the axis; else null.
   */
  public static Node equalSplitReading(Value v, int a, long[] x) {
    if (v.isGraphOutput() || v.uses().size() != 1) {
      return null;
    }
    Use use = v.uses().get(0);
    Node s = use.node();
    if (s.graph() != v.producer().graph() || !s.domain().isEmpty() || !s.is("Split")
        || use.index() != 0 || axis(s, 0, x.length) != a || s.outputs().contains(null)) {
      return null;
    }
    long part = x[a] / s.outputCount();
    for (Value o : s.outputs()) {
      long[] d = staticDims(o);
      if (d == null || d.length != x.length || d[a] != part) {
        return null;
      }
      for (int i = 0; i < x.length; i++) {
        if (i != a && d[i] != x[i]) {
          return null;
        }
      }
    }
    return part * s.outputCount() == x[a] ? s : null;
  }

  /**
   * {@code n}'s {@code axis} attribute ({@code absent} if it has none) as an index into a shape
   * of {@code rank}.
   */
  public static int axis(Node n, long absent, int rank) {
    long axis = n.intAttr("axis", absent);
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** Whether every output of {@code n} is unread (and not a graph output). */
  public static boolean outputsUnused(Node n) {
    for (Value out : n.outputs()) {
      if (out != null && out.hasUses()) {
        return false;
      }
    }
    return true;
  }
}

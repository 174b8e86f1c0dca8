package dev.convoy.ir.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a tensor value: a list of {@link Dim}s, or "unknown rank" when nothing is known.
 * Immutable.
 */
public final class Shape {
  private static final Shape UNKNOWN_RANK = new Shape(null);

  private final List<Dim> dims;

  private Shape(List<Dim> dims) {
    this.dims = dims;
  }

  public static Shape unknownRank() {
    return UNKNOWN_RANK;
  }

  public static Shape of(List<Dim> dims) {
    return new Shape(List.copyOf(dims));
  }

  public static Shape of(Dim... dims) {
    return new Shape(List.of(dims));
  }

  public static Shape of(long... sizes) {
    var list = new ArrayList<Dim>(sizes.length);
    for (long s : sizes) {
      list.add(Dim.of(s));
    }
    return new Shape(List.copyOf(list));
  }

  public static Shape scalar() {
    return new Shape(List.of());
  }

  public boolean hasRank() {
    return dims != null;
  }

  public int rank() {
    if (dims == null) {
      throw new IllegalStateException("shape has unknown rank");
    }
    return dims.size();
  }

  public List<Dim> dims() {
    if (dims == null) {
      throw new IllegalStateException("shape has unknown rank");
    }
    return dims;
  }

  public Dim dim(int i) {
    return dims().get(i);
  }

  /** True when the rank and every dimension are known numbers. */
  public boolean isStatic() {
    return dims != null && dims.stream().allMatch(Dim::isStatic);
  }

  /** The sizes of a static shape. */
  public long[] sizes() {
    if (!isStatic()) {
      throw new IllegalStateException("shape " + this + " is not static");
    }
    return dims.stream().mapToLong(Dim::size).toArray();
  }

  /** Element count of a static shape; throws on 64-bit overflow. */
  public long numElements() {
    return Tensor.numElements(sizes());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Objects.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(dims);
  }

  /** Text form: {@code [1,3,N,?]}, or {@code [*]} for unknown rank. */
  @Override
  public String toString() {
    if (dims == null) {
      return "[*]";
    }
    var sb = new StringBuilder("[");
    for (int i = 0; i < dims.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims.get(i));
    }
    return sb.append(']').toString();
  }

  public static String toString(long[] sizes) {
    return Arrays.toString(sizes).replace(" ", "");
  }

  /** The product of {@code sizes}: the element count of a tensor of that shape. */
  public static long product(long[] sizes) {
    return product(sizes, 0, sizes.length);
  }

  /** The product of {@code sizes[from..to)}: the element count of that block of axes. */
  public static long product(long[] sizes, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= sizes[i];
    }
    return p;
  }
}

package dev.convoy.ir.ops;

import dev.convoy.ir.graph.Dim;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What shape inference knows about the elements of a small integer tensor that holds sizes (the
 * output of {@code Shape} and what Gather, Slice, Concat, Unsqueeze make of it): each element is
 * a known number (possibly negative, like a Reshape's {@code -1}) or a dim of some tensor, which
 * may be symbolic ({@code N}) or unknown. This is ONNX's "data propagation": it lets
 * {@code Reshape(x, Concat(Gather(Shape(x), 0), [-1]))} come out as {@code [N, ...]}.
 */
public final class ShapeValue {
  /** Per element: a symbolic or unknown dim, or {@code null} where {@link #numbers} holds it. */
  private final Dim[] dims;
  private final long[] numbers;

  private ShapeValue(Dim[] dims, long[] numbers) {
    this.dims = dims;
    this.numbers = numbers;
  }

  /** The elements of a shape: static dims become numbers. */
  public static ShapeValue ofDims(List<Dim> shape) {
    Dim[] d = new Dim[shape.size()];
    long[] n = new long[shape.size()];
    for (int i = 0; i < d.length; i++) {
      Dim x = shape.get(i);
      if (x.isStatic()) {
        n[i] = x.size();
      } else {
        d[i] = x;
      }
    }
    return new ShapeValue(d, n);
  }

  /** Known numbers. */
  public static ShapeValue ofLongs(long... values) {
    return new ShapeValue(new Dim[values.length], values.clone());
  }

  public int size() {
    return numbers.length;
  }

  /** Whether element {@code i} is a known number. */
  public boolean isNumber(int i) {
    return dims[i] == null;
  }

  /** Element {@code i}'s number; only for {@link #isNumber} elements. */
  public long number(int i) {
    if (dims[i] != null) {
      throw new IllegalStateException("element " + i + " is " + dims[i] + ", not a number");
    }
    return numbers[i];
  }

  /** Element {@code i} as a dim: a static size, the symbol, or unknown for a negative number. */
  public Dim dim(int i) {
    if (dims[i] != null) {
      return dims[i];
    }
    return numbers[i] >= 0 ? Dim.of(numbers[i]) : Dim.UNKNOWN;
  }

  /** Every element as a dim (see {@link #dim}). */
  public List<Dim> asDims() {
    List<Dim> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      out.add(dim(i));
    }
    return out;
  }

  /** Whether every element is a known number. */
  public boolean allNumbers() {
    for (Dim d : dims) {
      if (d != null) {
        return false;
      }
    }
    return true;
  }

  /** The numbers of an {@link #allNumbers} value. */
  public long[] toLongs() {
    if (!allNumbers()) {
      throw new IllegalStateException(this + " has non-numeric elements");
    }
    return numbers.clone();
  }

  /** Elements {@code [from, to)}. */
  public ShapeValue slice(int from, int to) {
    return new ShapeValue(Arrays.copyOfRange(dims, from, to),
        Arrays.copyOfRange(numbers, from, to));
  }

  /** Elements at {@code index}, in that order. */
  public ShapeValue select(int[] index) {
    Dim[] d = new Dim[index.length];
    long[] n = new long[index.length];
    for (int i = 0; i < index.length; i++) {
      d[i] = dims[index[i]];
      n[i] = numbers[index[i]];
    }
    return new ShapeValue(d, n);
  }

  /** The elements of {@code parts} one after another. */
  public static ShapeValue concat(List<ShapeValue> parts) {
    int n = 0;
    for (ShapeValue p : parts) {
      n += p.size();
    }
    Dim[] d = new Dim[n];
    long[] v = new long[n];
    int at = 0;
    for (ShapeValue p : parts) {
      System.arraycopy(p.dims, 0, d, at, p.size());
      System.arraycopy(p.numbers, 0, v, at, p.size());
      at += p.size();
    }
    return new ShapeValue(d, v);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShapeValue s && Arrays.equals(dims, s.dims)
        && Arrays.equals(numbers, s.numbers);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(dims) + Arrays.hashCode(numbers);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("<");
    for (int i = 0; i < size(); i++) {
      sb.append(i == 0 ? "" : ",").append(dims[i] != null ? dims[i] : numbers[i]);
    }
    return sb.append('>').toString();
  }
}

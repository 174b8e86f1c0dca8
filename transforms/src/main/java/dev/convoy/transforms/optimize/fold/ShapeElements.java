package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import java.util.ArrayList;
import java.util.List;

/**
 * What the elements of a small int64 tensor that holds sizes are, read back through the shape
 * arithmetic that computed it: {@code Shape} (with {@code start}/{@code end}), {@code Gather} and
 * {@code Slice} of it at constant positions, {@code Unsqueeze}/{@code Squeeze} of a scalar or a
 * vector, {@code Concat} of such pieces and constants, and {@code Cast} between int32 and int64
 * (converters from TensorFlow compute shapes in int32; a tensor dim never nears 2^31 elements). Each element is a known number, dim
 * {@code axis} of a tensor (whatever its size, so that {@code Gather(Shape(x), 1)} is known to be
 * dim 1 of {@code x} even when that dim has no name), or unknown. Anything else is unknown, so a
 * rule built on it does nothing rather than guess.
 */
public final class ShapeElements {
  /** Elements are followed this far back through the graph; shape arithmetic is shallow. */
  private static final int MAX_DEPTH = 8;
  /** Vectors longer than this are not shapes worth reading. */
  private static final int MAX_LENGTH = 64;

  /** One element: a number, dim {@code axis} of {@code of}, or unknown (both absent). */
  public record Element(Long number, Value of, int axis) {
    static final Element UNKNOWN = new Element(null, null, -1);

    static Element number(long n) {
      return new Element(n, null, -1);
    }

    /** Dim {@code axis} of {@code v}; a static dim is its number. */
    static Element dimOf(Value v, int axis) {
      Shape s = Facts.shape(v);
      if (s != null && s.hasRank() && s.dim(axis).isStatic()) {
        return number(s.dim(axis).size());
      }
      return new Element(null, v, axis);
    }

    public boolean isNumber() {
      return number != null;
    }

    /**
     * Whether this element is provably the size of dim {@code k} of {@code data}: the same dim
     * of the same tensor, equal static sizes, or dims carrying the same input symbol.
     */
    public boolean isDimOf(Value data, int k) {
      Shape s = Facts.shape(data);
      Dim d = s != null && s.hasRank() && k < s.rank() ? s.dim(k) : null;
      if (number != null) {
        return d != null && d.isStatic() && d.size() == number;
      }
      if (of == null) {
        return false;
      }
      if (of == data && axis == k) {
        return true;
      }
      Shape os = Facts.shape(of);
      Dim e = os != null && os.hasRank() ? os.dim(axis) : null;
      return d instanceof Dim.Symbolic a && e instanceof Dim.Symbolic b && a.equals(b);
    }
  }

  private ShapeElements() {}

  /**
   * The elements of 1-D or scalar int64 or int32 {@code v}, or null when even its length is
   * unknown.
   */
  public static List<Element> of(Value v) {
    return of(v, 0);
  }

  private static List<Element> of(Value v, int depth) {
    if (v == null || (Facts.dtype(v) != DType.INT64 && Facts.dtype(v) != DType.INT32)) {
      return null;
    }
    long[] c = Facts.constLongs(v);
    if (c != null) {
      return c.length > MAX_LENGTH ? null : numbers(c);
    }
    Node p = v.producer();
    if (p == null || depth > MAX_DEPTH || !p.domain().isEmpty() || p.outputCount() != 1) {
      return null;
    }
    return switch (p.opType()) {
      case "Shape" -> shape(p);
      case "Gather" -> gather(p, depth);
      case "Slice" -> slice(p, depth);
      case "Unsqueeze", "Squeeze" -> sameElements(p, depth);
      case "Concat" -> concat(p, depth);
      case "Cast" -> cast(p, depth);
      default -> unknownOfLength(v);
    };
  }

  private static List<Element> numbers(long[] c) {
    List<Element> out = new ArrayList<>();
    for (long x : c) {
      out.add(Element.number(x));
    }
    return out;
  }

  private static List<Element> shape(Node p) {
    int r = Facts.rank(p.input(0));
    if (r < 0) {
      return null;
    }
    int start = clamp(p.intAttr("start", 0), r);
    int end = clamp(p.intAttr("end", r), r);
    List<Element> out = new ArrayList<>();
    for (int i = start; i < end; i++) {
      out.add(Element.dimOf(p.input(0), i));
    }
    return out;
  }

  private static List<Element> gather(Node p, int depth) {
    long[] idx = Facts.constLongs(p.input(1));
    List<Element> data = of(p.input(0), depth + 1);
    if (idx == null || data == null || p.intAttr("axis", 0) != 0
        || Facts.rank(p.input(1)) > 1) {
      return null;
    }
    List<Element> out = new ArrayList<>();
    for (long i : idx) {
      long k = i < 0 ? i + data.size() : i;
      if (k < 0 || k >= data.size()) {
        return null;
      }
      out.add(data.get((int) k));
    }
    return out;
  }

  private static List<Element> slice(Node p, int depth) {
    List<Element> data = of(p.input(0), depth + 1);
    long[] starts = Facts.attrOrInput(p, "starts", 1, null);
    long[] ends = Facts.attrOrInput(p, "ends", 2, null);
    long[] axes = Facts.attrOrInput(p, "axes", 3, new long[] {0});
    long[] steps = Facts.attrOrInput(p, "steps", 4, new long[] {1});
    if (data == null || starts == null || ends == null || axes == null || steps == null
        || starts.length != 1 || ends.length != 1 || axes.length != 1 || steps.length != 1
        || (axes[0] != 0 && axes[0] != -1) || steps[0] != 1) {
      return null;
    }
    int n = data.size();
    int from = clamp(starts[0], n);
    int to = clamp(ends[0], n);
    return new ArrayList<>(data.subList(from, Math.max(from, to)));
  }

  /** Unsqueeze of a scalar and Squeeze of a one-element vector keep the elements in order. */
  private static List<Element> sameElements(Node p, int depth) {
    int r = Facts.rank(p.input(0));
    int outRank = Facts.rank(p.output(0));
    if (r > 1 || outRank > 1 || r < 0 || outRank < 0) {
      return null;
    }
    return of(p.input(0), depth + 1);
  }

  private static List<Element> concat(Node p, int depth) {
    if (Facts.rank(p.output(0)) != 1) {
      return null;
    }
    List<Element> out = new ArrayList<>();
    for (Value in : p.inputs()) {
      List<Element> part = of(in, depth + 1);
      if (part == null) {
        return null;
      }
      out.addAll(part);
    }
    return out.size() > MAX_LENGTH ? null : out;
  }

  /** A cast between the two integer types of shapes keeps the elements that fit the target. */
  private static List<Element> cast(Node p, int depth) {
    List<Element> in = of(p.input(0), depth + 1);
    if (in == null) {
      return null;
    }
    boolean narrow = Facts.dtype(p.output(0)) == DType.INT32;
    for (Element e : in) {
      if (narrow && e.isNumber() && e.number() != (int) (long) e.number()) {
        return null;
      }
    }
    return in;
  }

  /** A value whose producer is not shape arithmetic: its length may still be known. */
  private static List<Element> unknownOfLength(Value v) {
    long[] dims = Facts.staticDims(v);
    if (dims == null || dims.length > 1 || (dims.length == 1 && dims[0] > MAX_LENGTH)) {
      return null;
    }
    int n = dims.length == 0 ? 1 : (int) dims[0];
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Element.UNKNOWN);
    }
    return out;
  }

  /** Whether every element is a known number. */
  public static boolean allNumbers(List<Element> elements) {
    return elements != null && elements.stream().allMatch(Element::isNumber);
  }

  /** The numbers of an {@link #allNumbers} list. */
  public static long[] numbers(List<Element> elements) {
    return elements.stream().mapToLong(Element::number).toArray();
  }

  private static int clamp(long index, int n) {
    long a = index < 0 ? index + n : index;
    return (int) Math.max(0, Math.min(n, a));
  }
}

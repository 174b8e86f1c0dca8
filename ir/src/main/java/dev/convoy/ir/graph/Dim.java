package dev.convoy.ir.graph;

/**
 * One dimension of a {@link Shape}: a known size, a named symbol shared across values (such as
 * {@code N} or {@code seq}), or unknown.
 */
public sealed interface Dim {
  /** A dimension with a known, non-negative size. */
  record Static(long size) implements Dim {
    public Static {
      if (size < 0) {
        throw new IllegalArgumentException("negative dimension " + size);
      }
    }

    @Override
    public String toString() {
      return Long.toString(size);
    }
  }

  /** A dimension known only by name; equal names in one graph denote equal sizes. */
  record Symbolic(String name) implements Dim {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A dimension about which nothing is known. */
  record Unknown() implements Dim {
    @Override
    public String toString() {
      return "?";
    }
  }

  Dim UNKNOWN = new Unknown();

  static Dim of(long size) {
    return new Static(size);
  }

  static Dim of(String symbol) {
    return new Symbolic(symbol);
  }

  default boolean isStatic() {
    return this instanceof Static;
  }

  /** The size of a static dimension; throws for others. */
  default long size() {
    if (this instanceof Static s) {
      return s.size();
    }
    throw new IllegalStateException("dimension " + this + " is not static");
  }
}

package dev.convoy.ir.ops.runtime;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * Forms of weight arrays that kernels derive once and reuse on every later run (today: a weight
 * matrix transposed for the GEMM orientation short convolutions prefer). Entries are keyed by
 * the identity of the source storage, which an evaluator never changes, and live as long as both
 * that array and the cache's owner (one {@code Evaluator}); nothing is shared across owners, so
 * a finished evaluation session leaves nothing behind.
 */
public final class WeightCache {
  private final Map<float[], Transposed> transposed =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final Map<float[], Derived> derived = Collections.synchronizedMap(new WeakHashMap<>());

  /** One transposition, with the shape it was read as (a reshape may share the storage). */
  private record Transposed(int rows, int cols, float[] values) {}

  /** {@code w} as {@code [cols, rows]} for a row-major {@code [rows, cols]} weight. */
  public float[] transposed(float[] w, int rows, int cols) {
    Transposed t = transposed.get(w);
    if (t == null || t.rows() != rows || t.cols() != cols) {
      t = new Transposed(rows, cols, Blas.transpose(w, 0, rows, cols));
      transposed.put(w, t);
    }
    return t.values();
  }

  /** A kernel's own form of a weight, with what it was made for. */
  private record Derived(Object key, Object value) {}

  /**
   * The form of {@code w} that {@code make} derives for {@code key} (an equals-comparable record
   * of what the form depends on: shape, kernel layout), made on first use and kept while {@code
   * w} lives; a different key replaces it.
   */
  @SuppressWarnings("unchecked")
  public <T> T derived(float[] w, Object key, Function<float[], T> make) {
    Derived d = derived.get(w);
    if (d == null || !d.key().equals(key)) {
      d = new Derived(key, make.apply(w));
      derived.put(w, d);
    }
    return (T) d.value();
  }
}

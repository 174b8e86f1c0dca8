package dev.convoy.ir.ops.runtime;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Forms of weight arrays that kernels derive once and reuse on every later run (a weight
 * matrix transposed for the GEMM orientation short convolutions prefer; quantized weights centred
 * and packed for {@link IntGemm}, and the integer convolutions' im2col index tables). Entries
 * are keyed by the identity of the source storage, which an evaluator never changes, and live
 * as long as both that array and the cache's owner (one {@code Evaluator}); nothing is shared
 * across owners, so a finished evaluation session leaves nothing behind.
 */
public final class WeightCache {
  private final Map<Object, Map<Object, Object>> derived =
      Collections.synchronizedMap(new WeakHashMap<>());

  /**
   * The key of a weight read as a row-major {@code [rows, cols]} matrix from element {@code
   * offset} of its storage, transposed: {@link #of} makes that form.
   */
  public record Transposition(int offset, int rows, int cols) {
    /** {@code w}'s matrix at {@code offset} as {@code [cols, rows]}. */
    public float[] of(float[] w) {
      return Blas.transpose(w, offset, rows, cols);
    }
  }

  /**
   * The form {@code make} derives from the weight stored in {@code source} (its storage array),
   * computed once per source and {@code key}: the key names everything else the form depends on
   * (offset, shape, zero points, geometry) by value, and must not refer to {@code source}. Use
   * it only for a weight's storage (an initializer's or a Constant's), which no run writes:
   * never for a graph input, which a caller may refill, nor an arena view, which is reused.
   */
  @SuppressWarnings("unchecked")
  public <T> T derived(Object source, Object key, Supplier<T> make) {
    Map<Object, Object> forms = derived.computeIfAbsent(source,
        s -> Collections.synchronizedMap(new java.util.HashMap<>()));
    return (T) forms.computeIfAbsent(key, k -> make.get());
  }
}

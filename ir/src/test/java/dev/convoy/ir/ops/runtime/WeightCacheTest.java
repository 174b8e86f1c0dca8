package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class WeightCacheTest {

  /** {@code w} read as {@code [rows, cols]}, transposed once per cache and shape. */
  private static float[] transposed(WeightCache cache, float[] w, int rows, int cols) {
    WeightCache.Transposition t = new WeightCache.Transposition(0, rows, cols);
    return cache.derived(w, t, () -> t.of(w));
  }

  @Test
  void transposesOnceAndReusesTheResultForTheSameWeight() {
    float[] w = {1, 2, 3, 4, 5, 6};
    WeightCache cache = new WeightCache();
    float[] t = transposed(cache, w, 2, 3);
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t);
    assertSame(t, transposed(cache, w, 2, 3));
  }

  @Test
  void keepsNothingAcrossCaches() {
    float[] w = {1, 2, 3, 4};
    float[] first = transposed(new WeightCache(), w, 2, 2);
    float[] second = transposed(new WeightCache(), w, 2, 2);
    assertNotSame(first, second);
    assertArrayEquals(first, second);
  }

  @Test
  void recomputesWhenTheSameArrayIsReadWithAnotherShape() {
    float[] w = {1, 2, 3, 4, 5, 6};
    WeightCache cache = new WeightCache();
    transposed(cache, w, 2, 3);
    assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, transposed(cache, w, 3, 2));
  }

  @Test
  void derivesOncePerSourceAndKeyAndAgainForAnotherKey() {
    byte[] w = {1, 2, 3};
    WeightCache cache = new WeightCache();
    int[] calls = new int[1];
    java.util.function.Supplier<int[]> make = () -> new int[] {++calls[0]};
    int[] first = cache.derived(w, java.util.List.of("zero", 0), make);
    assertSame(first, cache.derived(w, java.util.List.of("zero", 0), make));
    int[] other = cache.derived(w, java.util.List.of("zero", 5), make);
    assertArrayEquals(new int[] {1}, first);
    assertArrayEquals(new int[] {2}, other);
    assertNotSame(first, cache.derived(w.clone(), java.util.List.of("zero", 0), make));
  }
}

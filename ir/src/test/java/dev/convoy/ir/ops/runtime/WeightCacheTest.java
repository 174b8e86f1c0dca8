package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class WeightCacheTest {

  @Test
  void transposesOnceAndReusesTheResultForTheSameWeight() {
    float[] w = {1, 2, 3, 4, 5, 6};
    WeightCache cache = new WeightCache();
    float[] t = cache.transposed(w, 2, 3);
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t);
    assertSame(t, cache.transposed(w, 2, 3));
  }

  @Test
  void keepsNothingAcrossCaches() {
    float[] w = {1, 2, 3, 4};
    float[] first = new WeightCache().transposed(w, 2, 2);
    float[] second = new WeightCache().transposed(w, 2, 2);
    assertNotSame(first, second);
    assertArrayEquals(first, second);
  }

  @Test
  void recomputesWhenTheSameArrayIsReadWithAnotherShape() {
    float[] w = {1, 2, 3, 4, 5, 6};
    WeightCache cache = new WeightCache();
    cache.transposed(w, 2, 3);
    assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, cache.transposed(w, 3, 2));
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

package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The float32 exponential of {@code convoy::Attention}'s softmax against {@link Math#exp}: within
 * 2 ulps-worth (2.5e-7 relative) over the whole range of normal results, and exact at the edges.
 */
class ConvoyAttentionTest {
  @Test
  void expIsWithinTwoUlpsOfMathExp() {
    double worst = 0;
    for (float x = -87.3f; x <= 88.7f; x += 0.000731f) {
      double want = Math.exp(x);
      double rel = Math.abs(ConvoyAttention.exp(x) - want) / want;
      worst = Math.max(worst, rel);
    }
    assertTrue(worst < 2.5e-7, "worst relative error " + worst);
  }

  @Test
  void expHandlesTheEdges() {
    assertEquals(1f, ConvoyAttention.exp(0f));
    assertEquals(0f, ConvoyAttention.exp(Float.NEGATIVE_INFINITY));
    assertEquals(Float.POSITIVE_INFINITY, ConvoyAttention.exp(Float.POSITIVE_INFINITY));
    assertTrue(Float.isNaN(ConvoyAttention.exp(Float.NaN)));
  }
}

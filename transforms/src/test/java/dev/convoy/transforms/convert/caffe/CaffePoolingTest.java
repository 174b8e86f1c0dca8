package dev.convoy.transforms.convert.caffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Caffe's pooling sizes (BVLC pooling_layer.cpp: ceil rounding by default, the last window
 * dropped when it would start in the end padding) and the ONNX end pad that reproduces them.
 */
class CaffePoolingTest {
  @Test
  void roundsUpByDefault() {
    // GoogLeNet pool1/3x3_s2: 112 -> 56 (floor would give 55); SqueezeNet 1.1 pool3: 56 -> 28.
    assertEquals(new CaffePooling(56, 0, 1, true), CaffePooling.of(112, 3, 2, 0, false));
    assertEquals(28, CaffePooling.of(56, 3, 2, 0, false).out());
  }

  @Test
  void roundsDownWithRoundModeFloor() {
    assertEquals(new CaffePooling(55, 0, 0, false), CaffePooling.of(112, 3, 2, 0, true));
  }

  @Test
  void dropsALastWindowThatWouldStartInThePadding() {
    // ceil((6 + 2 - 2) / 4) + 1 = 3, but the third window would start at 8 - 1 = 7 >= 6 + 1.
    CaffePooling p = CaffePooling.of(6, 2, 4, 1, false);
    assertEquals(2, p.out());
    assertEquals(0, p.padEnd());
  }

  @Test
  void extendsTheEndPadToCoverAnOverhangingWindow() {
    // 10 with pad 1: ceil(9 / 2) + 1 = 6 windows, the last over [9, 12) against a padded end of 11.
    assertEquals(new CaffePooling(6, 1, 2, true), CaffePooling.of(10, 3, 2, 1, false));
  }

  @Test
  void refusesAPadNotSmallerThanTheKernel() {
    assertThrows(IllegalArgumentException.class, () -> CaffePooling.of(10, 2, 2, 2, false));
  }
}

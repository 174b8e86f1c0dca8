package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import org.junit.jupiter.api.Test;

class NormalizationTest {
  @Test
  void softmaxOpset13NormalizesAlongLastAxis() {
    NdArray y = OneNode.of("Softmax", 13).in(NdArray.ofFloats(new long[] {2, 2}, 0, 0, 1000, 0))
        .run();
    assertArrayEquals(new float[] {0.5f, 0.5f, 1, 0}, y.floats(), 1e-6f);
  }

  @Test
  void softmaxBeforeOpset13FlattensAtAxis() {
    NdArray x = NdArray.ofFloats(new long[] {1, 2, 2}, 0, 0, 0, 0);
    NdArray y = OneNode.of("Softmax", 11).in(x).run();
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, y.floats(), 1e-6f);
  }

  @Test
  void batchNormInferenceUsesRunningStats() {
    NdArray x = NdArray.ofFloats(new long[] {1, 2, 1}, 3, 5);
    NdArray s = NdArray.ofFloats(new long[] {2}, 2, 1);
    NdArray b = NdArray.ofFloats(new long[] {2}, 1, 0);
    NdArray mean = NdArray.ofFloats(new long[] {2}, 1, 5);
    NdArray var = NdArray.ofFloats(new long[] {2}, 4, 1);
    NdArray y = OneNode.of("BatchNormalization", 15).in(x).in(s).in(b).in(mean).in(var)
        .attr("epsilon", Attribute.of(0f)).run();
    assertArrayEquals(new float[] {3, 0}, y.floats(), 1e-6f);
  }

  @Test
  void layerNormReturnsMeanAndInverseStdDev() {
    NdArray x = NdArray.ofFloats(new long[] {1, 4}, 1, 2, 3, 4);
    var out = OneNode.of("LayerNormalization", 17).in(x)
        .in(NdArray.ofFloats(new long[] {4}, 1, 1, 1, 1)).outputs(3)
        .attr("epsilon", Attribute.of(0f)).runAll();
    assertEquals(2.5f, out.get(1).floats()[0], 1e-6f);
    assertEquals(1 / Math.sqrt(1.25), out.get(2).floats()[0], 1e-6);
    assertEquals(-1.5 / Math.sqrt(1.25), out.get(0).floats()[0], 1e-6);
  }
}

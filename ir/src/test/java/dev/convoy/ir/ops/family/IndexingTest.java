package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gather/scatter families, TopK ties and Unique ordering. */
class IndexingTest {
  @Test
  void gatherTakesRowsWithNegativeIndices() {
    NdArray data = NdArray.ofFloats(new long[] {3, 2}, 0, 1, 2, 3, 4, 5);
    NdArray y = OneNode.of("Gather").in(data).in(NdArray.ofLongs(new long[] {2}, -1, 0)).run();
    assertArrayEquals(new float[] {4, 5, 0, 1}, y.floats());
  }

  @Test
  void gatherOutOfRangeIndexIsAnErrorNotAWrappedRead() {
    var e = assertThrows(ConvoyException.class, () -> OneNode.of("Gather")
        .in(NdArray.ofFloats(new long[] {2}, 1, 2)).in(NdArray.ofLongs(new long[] {1}, 2)).run());
    assertTrue(e.getMessage().contains("index 2"), e.getMessage());
  }

  @Test
  void scatterElementsAddsDuplicatesInOrder() {
    NdArray data = NdArray.ofFloats(new long[] {1, 3}, 1, 2, 3);
    NdArray y = OneNode.of("ScatterElements", 18).in(data)
        .in(NdArray.ofLongs(new long[] {1, 2}, 1, 1)).in(NdArray.ofFloats(new long[] {1, 2}, 10, 20))
        .attr("axis", Attribute.of(1L)).attr("reduction", Attribute.of("add")).run();
    assertArrayEquals(new float[] {1, 32, 3}, y.floats());
  }

  @Test
  void gatherNdWithBatchDims() {
    NdArray data = NdArray.ofInts(new long[] {2, 2, 2}, 0, 1, 2, 3, 4, 5, 6, 7);
    NdArray idx = NdArray.ofLongs(new long[] {2, 1}, 1, 0);
    NdArray y = OneNode.of("GatherND").in(data).in(idx).attr("batch_dims", Attribute.of(1L)).run();
    assertArrayEquals(new long[] {2, 2}, y.dims());
    assertArrayEquals(new int[] {2, 3, 4, 5}, y.ints());
  }

  @Test
  void topKBreaksTiesByLowerIndex() {
    NdArray x = NdArray.ofFloats(new long[] {5}, 3, 1, 3, 2, 3);
    List<NdArray> out = OneNode.of("TopK").in(x).in(NdArray.vector(3)).outputs(2).runAll();
    assertArrayEquals(new float[] {3, 3, 3}, out.get(0).floats());
    assertArrayEquals(new long[] {0, 2, 4}, out.get(1).longs());
    List<NdArray> low = OneNode.of("TopK").in(x).in(NdArray.vector(2))
        .attr("largest", Attribute.of(0L)).outputs(2).runAll();
    assertArrayEquals(new long[] {1, 3}, low.get(1).longs());
  }

  @Test
  void uniqueUnsortedKeepsFirstOccurrenceOrder() {
    NdArray x = NdArray.ofLongs(new long[] {6}, 2, 1, 1, 3, 4, 3);
    List<NdArray> out = OneNode.of("Unique").in(x).attr("sorted", Attribute.of(0L)).outputs(4)
        .runAll();
    assertArrayEquals(new long[] {2, 1, 3, 4}, out.get(0).longs());
    assertArrayEquals(new long[] {0, 1, 3, 4}, out.get(1).longs());
    assertArrayEquals(new long[] {0, 1, 1, 2, 3, 2}, out.get(2).longs());
    assertArrayEquals(new long[] {1, 2, 2, 1}, out.get(3).longs());
  }

  @Test
  void oneHotIgnoresOutOfRangeAndWrapsNegative() {
    NdArray y = OneNode.of("OneHot").in(NdArray.ofLongs(new long[] {3}, 0, -1, 5))
        .in(NdArray.scalarLong(3)).in(NdArray.ofFloats(new long[] {2}, 0, 1)).run();
    assertArrayEquals(new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0}, y.floats());
  }
}

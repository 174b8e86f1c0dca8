package dev.convoy.ir.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.WeightCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Views of a larger storage array (how the evaluator hands out values in a memory plan's arena)
 * read their own elements through every accessor, and kernels write their outputs into the
 * buffer the context gives them, at its offset, touching nothing around it.
 */
class NdArrayViewTest {
  private static final float SENTINEL = -99f;

  @Test
  void aViewReadsItsElementsFromItsOffsetThroughEveryAccessor() {
    float[] storage = {SENTINEL, 1f, -2f, 3f, SENTINEL};
    NdArray v = NdArray.view(DType.FLOAT, new long[] {3}, storage, 1);
    assertEquals(-2.0, v.getDouble(1));
    assertEquals(3L, v.getLong(2));
    assertArrayEquals(new float[] {1f, -2f, 3f}, v.toFloats());
    assertArrayEquals(new float[] {1f, -2f, 3f}, v.floats());
    assertArrayEquals(new double[] {1, -2, 3}, v.toDoubles());
    assertTrue(v.sameAs(NdArray.ofFloats(new long[] {3}, 1f, -2f, 3f)));
    assertTrue(NdArray.fromTensor(v.toTensor()).sameAs(v.dense()));
    assertArrayEquals(new float[] {1f, -2f, 3f}, v.reshape(new long[] {3, 1}).toFloats());
  }

  @Test
  void aViewIsNeverDenseSoItsStorageIsNeverHandedOut() {
    float[] storage = {1f, 2f};
    NdArray v = NdArray.view(DType.FLOAT, new long[] {2}, storage, 0);
    assertFalse(v.isDense());
    assertNotSame(storage, v.toFloats());
    assertNotSame(storage, v.data());
    NdArray own = NdArray.ofFloats(new long[] {2}, storage);
    assertTrue(own.isDense());
    assertSame(storage, own.toFloats());
  }

  @Test
  void elementwiseMatMulConvAndConcatWriteAtTheOffsetTheContextGives() {
    NdArray a = view(new long[] {2, 3}, 1f, -2f, 3f, -4f, 5f, -6f);
    NdArray b = view(new long[] {3, 2}, 0.5f, 1f, -1f, 2f, 3f, -0.25f);
    assertWrittenInPlace(OneNode.of("Relu").in(a), List.of(a),
        NdArray.ofFloats(new long[] {2, 3}, 1f, 0f, 3f, 0f, 5f, 0f));
    assertWrittenInPlace(OneNode.of("Add").in(a).in(a), List.of(a, a),
        NdArray.ofFloats(new long[] {2, 3}, 2f, -4f, 6f, -8f, 10f, -12f));
    assertWrittenInPlace(OneNode.of("MatMul").in(a).in(b), List.of(a, b),
        NdArray.ofFloats(new long[] {2, 2}, 11.5f, -3.75f, -25f, 7.5f));
    assertWrittenInPlace(OneNode.of("Concat").attr("axis", new Attribute.IntAttr(0)).in(a).in(a),
        List.of(a, a), NdArray.ofFloats(new long[] {4, 3}, 1f, -2f, 3f, -4f, 5f, -6f, 1f, -2f,
            3f, -4f, 5f, -6f));
    NdArray x = view(new long[] {1, 1, 2, 3}, 1f, -2f, 3f, -4f, 5f, -6f);
    NdArray w = NdArray.ofFloats(new long[] {2, 1, 1, 1}, 2f, -1f);
    assertWrittenInPlace(OneNode.of("Conv").in(x).in(w), List.of(x, w),
        NdArray.ofFloats(new long[] {1, 2, 2, 3}, 2f, -4f, 6f, -8f, 10f, -12f, -1f, 2f, -3f,
            4f, -5f, 6f));
  }

  /** {@code values} as a view at offset 3 of a storage array filled with sentinels around it. */
  private static NdArray view(long[] dims, float... values) {
    float[] storage = new float[values.length + 6];
    Arrays.fill(storage, SENTINEL);
    System.arraycopy(values, 0, storage, 3, values.length);
    return NdArray.view(DType.FLOAT, dims, storage, 3);
  }

  /**
   * Runs the node's kernel on {@code inputs} with output 0 given as a view at offset 5 of a
   * sentinel-filled array: the kernel returns that view, holding {@code expected}, and leaves the
   * sentinels around it alone.
   */
  private static void assertWrittenInPlace(OneNode built, List<NdArray> inputs,
      NdArray expected) {
    Node node = built.node();
    OpDef def = OpCatalog.standard().require(node);
    float[] storage = new float[expected.size() + 10];
    Arrays.fill(storage, SENTINEL);
    List<NdArray> given = new ArrayList<>();
    KernelContext.Outputs outputs = (i, dtype, dims) -> {
      NdArray v = NdArray.view(dtype, dims, storage, 5);
      Arrays.fill(storage, 5, 5 + v.size(), 0f);
      given.add(v);
      return v;
    };
    KernelContext ctx = new KernelContext(node, def, OpCatalog.opsetOf(node),
        new ArrayList<>(inputs), Parallel.serial(), new WeightCache(), null, outputs);
    NdArray out = (NdArray) def.kernel().compute(ctx).get(0);
    assertEquals(1, given.size(), node.opType());
    assertSame(given.get(0), out, node.opType());
    assertTrue(out.sameAs(expected), node.opType() + ": " + Arrays.toString(out.toFloats()));
    for (int i = 0; i < storage.length; i++) {
      if (i < 5 || i >= 5 + expected.size()) {
        assertEquals(SENTINEL, storage[i], node.opType() + " wrote outside its output at " + i);
      }
    }
  }
}

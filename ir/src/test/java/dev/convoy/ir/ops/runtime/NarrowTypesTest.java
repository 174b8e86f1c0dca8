package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class NarrowTypesTest {
  private static final List<DType> FLOAT8 = List.of(DType.FLOAT8E4M3FN, DType.FLOAT8E4M3FNUZ,
      DType.FLOAT8E5M2, DType.FLOAT8E5M2FNUZ);

  @Test
  void everyFiniteCodeRoundTripsThroughItsValue() {
    for (DType t : FLOAT8) {
      for (int code = 0; code < 256; code++) {
        double v = NarrowTypes.decode(t, code);
        if (Double.isNaN(v) || Double.isInfinite(v)) {
          continue;
        }
        int back = NarrowTypes.encode(t, v, true);
        // -0 of the fnuz types does not exist: 0x80 is their NaN, so zero always encodes as 0.
        assertEquals(v == 0 ? (t.textName().endsWith("fnuz") ? 0 : code) : code, back,
            t + " code " + code + " value " + v);
      }
    }
    for (int code = 0; code < 16; code++) {
      assertEquals(code, NarrowTypes.encode(DType.FLOAT4E2M1,
          NarrowTypes.decode(DType.FLOAT4E2M1, code), true));
    }
  }

  @Test
  void largestFiniteValuesMatchTheFormats() {
    assertEquals(448.0, NarrowTypes.decode(DType.FLOAT8E4M3FN, 0x7E));
    assertEquals(240.0, NarrowTypes.decode(DType.FLOAT8E4M3FNUZ, 0x7F));
    assertEquals(57344.0, NarrowTypes.decode(DType.FLOAT8E5M2, 0x7B));
    assertEquals(57344.0, NarrowTypes.decode(DType.FLOAT8E5M2FNUZ, 0x7F));
    assertEquals(6.0, NarrowTypes.decode(DType.FLOAT4E2M1, 0x7));
    assertTrue(Double.isNaN(NarrowTypes.decode(DType.FLOAT8E4M3FN, 0xFF)));
    assertTrue(Double.isNaN(NarrowTypes.decode(DType.FLOAT8E4M3FNUZ, 0x80)));
    assertEquals(Double.NEGATIVE_INFINITY, NarrowTypes.decode(DType.FLOAT8E5M2, 0xFC));
  }

  @Test
  void roundsToNearestEvenIncludingSubnormals() {
    // e4m3fn steps by 0.125 between 1 and 2: 1.0625 is a tie and goes to the even 1.0.
    assertEquals(1.0, encodeDecode(DType.FLOAT8E4M3FN, 1.0625, true));
    assertEquals(1.25, encodeDecode(DType.FLOAT8E4M3FN, 1.1875, true));
    // Smallest e4m3fn subnormal is 2^-9; half of it ties to zero, a bit more rounds up.
    assertEquals(0.0, encodeDecode(DType.FLOAT8E4M3FN, Math.scalb(1.0, -10), true));
    assertEquals(Math.scalb(1.0, -9), encodeDecode(DType.FLOAT8E4M3FN, 0.0012, true));
  }

  @Test
  void overflowSaturatesOrBecomesNanOrInfinity() {
    assertEquals(448.0, encodeDecode(DType.FLOAT8E4M3FN, 1e6, true));
    assertEquals(-448.0, encodeDecode(DType.FLOAT8E4M3FN, Double.NEGATIVE_INFINITY, true));
    assertTrue(Double.isNaN(encodeDecode(DType.FLOAT8E4M3FN, 1e6, false)));
    assertEquals(57344.0, encodeDecode(DType.FLOAT8E5M2, Double.POSITIVE_INFINITY, true));
    assertEquals(Double.POSITIVE_INFINITY, encodeDecode(DType.FLOAT8E5M2, 1e6, false));
    assertTrue(Double.isNaN(encodeDecode(DType.FLOAT8E5M2FNUZ, -1e6, false)));
    assertEquals(-6.0, encodeDecode(DType.FLOAT4E2M1, -100, false));
  }

  private static double encodeDecode(DType t, double v, boolean saturate) {
    return NarrowTypes.decode(t, NarrowTypes.encode(t, v, saturate));
  }

  @Test
  void subByteTensorsPackLowBitsFirst() {
    Tensor t = Tensor.ofBytes(DType.INT4, new long[] {3}, new byte[] {(byte) 0x8F, 0x05});
    NdArray a = NdArray.fromTensor(t);
    assertArrayEquals(new long[] {-1, -8, 5}, a.toLongs());
    assertEquals(t, a.toTensor());
    assertEquals(2, DType.INT4.storageBytes(3));
    assertEquals(1, DType.UINT2.storageBytes(4));
    NdArray u2 = NdArray.fromTensor(Tensor.ofBytes(DType.UINT2, new long[] {4},
        new byte[] {(byte) 0b11_10_01_00}));
    assertArrayEquals(new long[] {0, 1, 2, 3}, u2.toLongs());
  }

  @Test
  void castToFloat8HonoursSaturate() {
    NdArray x = NdArray.ofFloats(new long[] {3}, 1000f, -0.3f, Float.NaN);
    NdArray sat = OneNode.of("Cast", 19).in(x)
        .attr("to", new Attribute.IntAttr(DType.FLOAT8E4M3FN.onnxCode())).run();
    assertEquals(448.0, sat.getDouble(0));
    assertEquals(-0.3125, sat.getDouble(1));
    assertTrue(Double.isNaN(sat.getDouble(2)));
    NdArray wrap = OneNode.of("Cast", 19).in(x)
        .attr("to", new Attribute.IntAttr(DType.FLOAT8E4M3FN.onnxCode()))
        .attr("saturate", new Attribute.IntAttr(0)).run();
    assertTrue(Double.isNaN(wrap.getDouble(0)));
  }

  @Test
  void castToInt4WrapsLikeIntegerNarrowing() {
    NdArray x = NdArray.ofFloats(new long[] {3}, 8f, -9f, 7.9f);
    NdArray y = OneNode.of("Cast", 21).in(x)
        .attr("to", new Attribute.IntAttr(DType.INT4.onnxCode())).run();
    assertEquals(DType.INT4, y.dtype());
    assertArrayEquals(new long[] {-8, 7, 7}, y.toLongs());
  }

  @Test
  void quantizeLinearToInt4ClampsPerAxis() {
    NdArray x = NdArray.ofFloats(new long[] {2, 2}, 100f, 1f, -100f, 3f);
    NdArray scale = NdArray.ofFloats(new long[] {2}, 1f, 2f);
    NdArray zp = NdArray.fromLongs(DType.INT4, new long[] {2}, new long[] {0, 1});
    NdArray y = OneNode.of("QuantizeLinear", 21).in(x).in(scale).in(zp)
        .attr("axis", new Attribute.IntAttr(0)).run();
    // Row 0: scale 1, zp 0; row 1: scale 2, zp 1 (3/2 = 1.5 rounds to even 2, plus 1).
    assertArrayEquals(new long[] {7, 1, -8, 3}, y.toLongs());
  }

  @Test
  void randomTrainingDropoutIsRefusedNotGuessed() {
    NdArray x = NdArray.ofFloats(new long[] {2}, 1f, 2f);
    assertThrows(UnsupportedOpException.class, () -> OneNode.of("Dropout", 22).in(x)
        .in(NdArray.scalarFloat(0.5f)).in(NdArray.scalarBool(true)).run());
  }
}

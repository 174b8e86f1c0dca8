package dev.convoy.ir.graph;

/** IEEE half-precision and bfloat16 conversions (Java 17 has no {@code Float.float16ToFloat}). */
public final class HalfFloats {
  private HalfFloats() {}


  public static float toFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h >>> 15) & 1;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    float v;
    if (exp == 0) {
      v = mant * 0x1p-24f;
    } else if (exp == 31) {
      v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      v = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
    }
    return sign == 1 ? -v : v;
  }

  /** Round-to-nearest-even float to IEEE half. */
  public static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int val = (bits & 0x7FFFFFFF);
    if (val >= 0x7F800000) {
      return (short) (sign | 0x7C00 | (val > 0x7F800000 ? 0x200 : 0));
    }
    if (val >= 0x477FF000) {
      return (short) (sign | 0x7C00);
    }
    if (val < 0x38800000) {
      // subnormal or zero in half precision
      float abs = Float.intBitsToFloat(val);
      int m = Math.round(abs * 0x1p24f);
      return (short) (sign | m);
    }
    int exp = (val >>> 23) - 127 + 15;
    int mant = val & 0x7FFFFF;
    int half = (exp << 10) | (mant >>> 13);
    int rest = mant & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    return (short) (sign | half);
  }

  /** Round-to-nearest-even float to bfloat16. */
  public static short bfloat16FromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  /** bfloat16 bits to float. */
  public static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }
}

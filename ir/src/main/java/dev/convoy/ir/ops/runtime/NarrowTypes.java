package dev.convoy.ir.ops.runtime;

import dev.convoy.ir.graph.DType;

/**
 * Element types narrower than a byte or a half float: the codecs of the 8-bit floats
 * (float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz) and of float4e2m1, and the packing
 * of the sub-byte types (int4, uint4, float4e2m1 two per byte; int2, uint2 four per byte, low
 * bits first) into and out of the one-element-per-byte storage
 * {@link dev.convoy.ir.ops.NdArray} keeps for them.
 *
 * <p>Encoding rounds to nearest even on the format's grid (subnormals included) and then applies
 * the ONNX overflow rules: with {@code saturate} a value beyond the largest finite number (and,
 * except for float8e5m2, infinity) becomes that number; without it overflow is infinity where the
 * format has one (float8e5m2) and NaN elsewhere. The "fnuz" formats have no negative zero and a
 * single NaN, {@code 0x80}. float4e2m1 always saturates and, having no NaN, encodes NaN as -0 as
 * the ONNX reference data does.
 */
public final class NarrowTypes {
  private NarrowTypes() {}

  /** A narrow float layout: exponent and mantissa widths, bias, and which specials it has. */
  private record Format(int expBits, int manBits, int bias, boolean hasInf, boolean unsignedZero,
      int nanCode, double max) {
    int signBit() {
      return 1 << (expBits + manBits);
    }
  }

  private static final Format E4M3FN = new Format(4, 3, 7, false, false, 0x7F, 448);
  private static final Format E4M3FNUZ = new Format(4, 3, 8, false, true, 0x80, 240);
  private static final Format E5M2 = new Format(5, 2, 15, true, false, 0x7F, 57344);
  private static final Format E5M2FNUZ = new Format(5, 2, 16, false, true, 0x80, 57344);
  /** float4e2m1 has neither infinity nor NaN ({@code nanCode} -1): NaN encodes as -0. */
  private static final Format E2M1 = new Format(2, 1, 1, false, false, -1, 6);

  /** Whether {@code t} is one of the narrow floats this class encodes. */
  public static boolean isNarrowFloat(DType t) {
    return format(t) != null;
  }

  private static Format format(DType t) {
    return switch (t) {
      case FLOAT8E4M3FN -> E4M3FN;
      case FLOAT8E4M3FNUZ -> E4M3FNUZ;
      case FLOAT8E5M2 -> E5M2;
      case FLOAT8E5M2FNUZ -> E5M2FNUZ;
      case FLOAT4E2M1 -> E2M1;
      default -> null;
    };
  }

  private static Format require(DType t) {
    Format f = format(t);
    if (f == null) {
      throw new IllegalArgumentException(t.textName() + " is not a narrow float type");
    }
    return f;
  }

  /** The value of the code {@code bits} (low bits of the byte) of narrow float type {@code t}. */
  public static double decode(DType t, int bits) {
    Format f = require(t);
    int code = bits & ((f.signBit() << 1) - 1);
    if (f.unsignedZero() && code == f.nanCode()) {
      return Double.NaN;
    }
    boolean negative = (code & f.signBit()) != 0;
    int mag = code & (f.signBit() - 1);
    int expField = mag >>> f.manBits();
    int man = mag & ((1 << f.manBits()) - 1);
    int maxExpField = (1 << f.expBits()) - 1;
    double v;
    if (f.hasInf() && expField == maxExpField) {
      v = man == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (!f.unsignedZero() && mag == f.nanCode()) {
      v = Double.NaN;
    } else if (expField == 0) {
      v = Math.scalb((double) man, 1 - f.bias() - f.manBits());
    } else {
      v = Math.scalb((double) ((1 << f.manBits()) | man), expField - f.bias() - f.manBits());
    }
    return negative ? -v : v;
  }

  /** The code of {@code v} in narrow float type {@code t} (see the class comment for rules). */
  public static int encode(DType t, double v, boolean saturate) {
    Format f = require(t);
    int sign = (Double.doubleToRawLongBits(v) < 0) ? f.signBit() : 0;
    if (Double.isNaN(v)) {
      return f.nanCode() < 0 ? f.signBit() : f.nanCode();
    }
    double a = Math.abs(v);
    if (Double.isInfinite(a)) {
      if (saturate || f.nanCode() < 0) {
        return sign | maxCode(f);
      }
      return f.hasInf() ? sign | infCode(f) : nanFor(f, sign);
    }
    int minExp = 1 - f.bias();
    int e = a == 0 ? minExp : Math.max(Math.getExponent(a), minExp);
    double quantum = Math.scalb(1.0, e - f.manBits());
    double q = Math.rint(a / quantum) * quantum;
    if (q > f.max()) {
      if (saturate || f.nanCode() < 0) {
        return sign | maxCode(f);
      }
      return f.hasInf() ? sign | infCode(f) : nanFor(f, sign);
    }
    if (q == 0) {
      return f.unsignedZero() ? 0 : sign;
    }
    int mag;
    if (q < Math.scalb(1.0, minExp)) {
      mag = (int) Math.scalb(q, f.bias() - 1 + f.manBits());
    } else {
      int qe = Math.getExponent(q);
      int man = (int) Math.scalb(q, f.manBits() - qe) - (1 << f.manBits());
      mag = ((qe + f.bias()) << f.manBits()) | man;
    }
    return sign | mag;
  }

  private static int nanFor(Format f, int sign) {
    return f.unsignedZero() ? f.nanCode() : sign | f.nanCode();
  }

  private static int infCode(Format f) {
    return ((1 << f.expBits()) - 1) << f.manBits();
  }

  private static int maxCode(Format f) {
    return encode(f, f.max());
  }

  private static int encode(Format f, double exactFinite) {
    int qe = Math.getExponent(exactFinite);
    int man = (int) Math.scalb(exactFinite, f.manBits() - qe) - (1 << f.manBits());
    return ((qe + f.bias()) << f.manBits()) | man;
  }

  // ---- sub-byte packing ----

  /** Bits per element of a packed type (4 or 2), or 0 when {@code t} is not packed. */
  public static int packedBits(DType t) {
    return t.bitWidth() < 8 ? t.bitWidth() : 0;
  }

  /**
   * Unpacks {@code n} elements of packed type {@code t} from {@code packed} into one byte each:
   * signed integer types sign-extended, the others as their raw code.
   */
  public static byte[] unpack(DType t, byte[] packed, int n) {
    int bits = t.bitWidth();
    int perByte = 8 / bits;
    int mask = (1 << bits) - 1;
    boolean signed = t == DType.INT4 || t == DType.INT2;
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      int v = (packed[i / perByte] >>> ((i % perByte) * bits)) & mask;
      if (signed && (v & (1 << (bits - 1))) != 0) {
        v -= 1 << bits;
      }
      out[i] = (byte) v;
    }
    return out;
  }

  /** Packs one-byte-per-element storage of packed type {@code t} (low bits first). */
  public static byte[] pack(DType t, byte[] elements) {
    int bits = t.bitWidth();
    int perByte = 8 / bits;
    int mask = (1 << bits) - 1;
    byte[] out = new byte[(int) t.storageBytes(elements.length)];
    for (int i = 0; i < elements.length; i++) {
      out[i / perByte] |= (byte) ((elements[i] & mask) << ((i % perByte) * bits));
    }
    return out;
  }

  /** Wraps {@code v} to the range of the sub-byte integer type {@code t} (two's complement). */
  public static long wrapInteger(DType t, long v) {
    int bits = t.bitWidth();
    long m = v & ((1L << bits) - 1);
    boolean signed = t == DType.INT4 || t == DType.INT2;
    return signed && m >= (1L << (bits - 1)) ? m - (1L << bits) : m;
  }

}

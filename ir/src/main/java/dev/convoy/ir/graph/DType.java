package dev.convoy.ir.graph;

import dev.convoy.ir.UnsupportedOpException;

/**
 * Tensor element types, numbered as ONNX numbers them ({@code TensorProto.DataType}) so that
 * importers map codes directly. {@link #byteSize()} is the in-memory element size (strings have
 * none: they are stored as byte arrays). Types Convoy cannot compute with are still listed so a
 * model that names one gets a clear error instead of a wrong code.
 */
public enum DType {
  FLOAT(1, 4, "float32"),
  UINT8(2, 1, "uint8"),
  INT8(3, 1, "int8"),
  UINT16(4, 2, "uint16"),
  INT16(5, 2, "int16"),
  INT32(6, 4, "int32"),
  INT64(7, 8, "int64"),
  STRING(8, 0, "string"),
  BOOL(9, 1, "bool"),
  FLOAT16(10, 2, "float16"),
  DOUBLE(11, 8, "float64"),
  UINT32(12, 4, "uint32"),
  UINT64(13, 8, "uint64"),
  COMPLEX64(14, 8, "complex64"),
  COMPLEX128(15, 16, "complex128"),
  BFLOAT16(16, 2, "bfloat16"),
  FLOAT8E4M3FN(17, 1, "float8e4m3fn"),
  FLOAT8E4M3FNUZ(18, 1, "float8e4m3fnuz"),
  FLOAT8E5M2(19, 1, "float8e5m2"),
  FLOAT8E5M2FNUZ(20, 1, "float8e5m2fnuz"),
  UINT4(21, 1, "uint4"),
  INT4(22, 1, "int4"),
  FLOAT4E2M1(23, 1, "float4e2m1"),
  UINT2(25, 1, "uint2"),
  INT2(26, 1, "int2");

  private final int onnxCode;
  private final int byteSize;
  private final String textName;

  DType(int onnxCode, int byteSize, String textName) {
    this.onnxCode = onnxCode;
    this.byteSize = byteSize;
    this.textName = textName;
  }

  /** The ONNX {@code TensorProto.DataType} number. */
  public int onnxCode() {
    return onnxCode;
  }

  /**
   * Bytes per element in a tensor's buffer; 0 for strings. The packed sub-byte types (int4,
   * uint4, float4e2m1, int2, uint2) say 1 here; use {@link #storageBytes} for buffer lengths.
   */
  public int byteSize() {
    return byteSize;
  }

  /** Bits per element in a tensor's buffer: 4 or 2 for the packed sub-byte types. */
  public int bitWidth() {
    return switch (this) {
      case INT4, UINT4, FLOAT4E2M1 -> 4;
      case INT2, UINT2 -> 2;
      default -> 8 * byteSize;
    };
  }

  /**
   * The length in bytes of a buffer holding {@code elements} elements: sub-byte types are packed
   * (two 4-bit or four 2-bit elements per byte, the last byte padded), as ONNX stores them.
   */
  public long storageBytes(long elements) {
    int bits = bitWidth();
    return bits >= 8 ? Math.multiplyExact(elements, (long) byteSize)
        : Math.addExact(Math.multiplyExact(elements, (long) bits), 7) / 8;
  }

  /** The name used in Convoy's text form, e.g. {@code float32}. */
  public String textName() {
    return textName;
  }

  /** Float types, including the 8-bit floats and float4e2m1. */
  public boolean isFloatingPoint() {
    return switch (this) {
      case FLOAT, DOUBLE, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2,
          FLOAT8E5M2FNUZ, FLOAT4E2M1 -> true;
      default -> false;
    };
  }

  public boolean isInteger() {
    return switch (this) {
      case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, INT4, UINT4, INT2, UINT2 ->
          true;
      default -> false;
    };
  }

  public boolean isSigned() {
    return switch (this) {
      case INT8, INT16, INT32, INT64, INT4, INT2 -> true;
      default -> isFloatingPoint();
    };
  }

  /**
   * Whether Convoy stores and computes with this type. Complex types are recognized but rejected
   * with a clear error where a tensor of them must be read.
   */
  public boolean isSupported() {
    return switch (this) {
      case COMPLEX64, COMPLEX128 -> false;
      default -> true;
    };
  }

  public static DType fromOnnx(int code) {
    for (DType t : values()) {
      if (t.onnxCode == code) {
        return t;
      }
    }
    throw new UnsupportedOpException("unknown ONNX tensor element type " + code);
  }

  public static DType fromText(String name) {
    for (DType t : values()) {
      if (t.textName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown element type '" + name + "'");
  }
}

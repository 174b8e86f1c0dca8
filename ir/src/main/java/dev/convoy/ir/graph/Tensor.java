package dev.convoy.ir.graph;

import dev.convoy.ir.InvalidModelException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, immutable tensor: element type, static dimensions and data. Numeric and bool data sit
 * in a little-endian, read-only {@link ByteBuffer}, which for weights loaded from a file is a
 * memory-mapped slice (never copied on import); tensors made by passes live on the heap. String
 * tensors hold one byte array per element instead.
 *
 * <p>Equality is structural: same type, same dimensions, same bytes.
 */
public final class Tensor {
  private final DType dtype;
  private final long[] dims;
  private final ByteBuffer data;
  private final byte[][] strings;
  private int hash;

  private Tensor(DType dtype, long[] dims, ByteBuffer data, byte[][] strings) {
    this.dtype = dtype;
    this.dims = dims;
    this.data = data;
    this.strings = strings;
  }

  /**
   * Wraps {@code data} (not copied) as a tensor. Throws {@link InvalidModelException} when the
   * byte length disagrees with the shape, a dimension is negative or the element count overflows.
   */
  public static Tensor of(DType dtype, long[] dims, ByteBuffer data) {
    Objects.requireNonNull(dtype, "dtype");
    if (dtype == DType.STRING) {
      throw new IllegalArgumentException("string tensors are built with ofStrings");
    }
    long n = numElements(dims);
    long expected = dtype.storageBytes(n);
    if (data.remaining() != expected) {
      throw new InvalidModelException(
          "tensor of type " + dtype.textName() + " and shape " + Shape.toString(dims) + " needs "
              + expected + " bytes of data but has " + data.remaining());
    }
    ByteBuffer view = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer();
    return new Tensor(dtype, dims.clone(), view.order(ByteOrder.LITTLE_ENDIAN), null);
  }

  public static Tensor ofStrings(long[] dims, byte[][] values) {
    long n = numElements(dims);
    if (values.length != n) {
      throw new InvalidModelException(
          "string tensor of shape " + Shape.toString(dims) + " needs " + n + " elements but has "
              + values.length);
    }
    byte[][] copy = new byte[values.length][];
    for (int i = 0; i < values.length; i++) {
      copy[i] = values[i].clone();
    }
    return new Tensor(DType.STRING, dims.clone(), null, copy);
  }

  /** Element count of {@code dims}; rejects negative dimensions and 64-bit overflow. */
  public static long numElements(long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new InvalidModelException("negative dimension in shape " + Shape.toString(dims));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new InvalidModelException(
            "shape " + Shape.toString(dims) + " overflows a 64-bit element count");
      }
    }
    return n;
  }

  private static ByteBuffer allocate(DType dtype, long n) {
    long bytes = dtype.storageBytes(n);
    if (bytes > Integer.MAX_VALUE) {
      throw new InvalidModelException(
          "a single in-memory tensor of " + bytes + " bytes exceeds the 2 GiB buffer limit");
    }
    return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  public static Tensor ofFloats(long[] dims, float... values) {
    checkCount(dims, values.length);
    ByteBuffer b = allocate(DType.FLOAT, values.length);
    b.asFloatBuffer().put(values);
    return of(DType.FLOAT, dims, b);
  }

  public static Tensor ofDoubles(long[] dims, double... values) {
    checkCount(dims, values.length);
    ByteBuffer b = allocate(DType.DOUBLE, values.length);
    b.asDoubleBuffer().put(values);
    return of(DType.DOUBLE, dims, b);
  }

  public static Tensor ofInts(long[] dims, int... values) {
    checkCount(dims, values.length);
    ByteBuffer b = allocate(DType.INT32, values.length);
    b.asIntBuffer().put(values);
    return of(DType.INT32, dims, b);
  }

  public static Tensor ofLongs(long[] dims, long... values) {
    checkCount(dims, values.length);
    ByteBuffer b = allocate(DType.INT64, values.length);
    b.asLongBuffer().put(values);
    return of(DType.INT64, dims, b);
  }

  public static Tensor ofBools(long[] dims, boolean... values) {
    checkCount(dims, values.length);
    ByteBuffer b = allocate(DType.BOOL, values.length);
    for (boolean v : values) {
      b.put((byte) (v ? 1 : 0));
    }
    b.flip();
    return of(DType.BOOL, dims, b);
  }

  /** Wraps a heap byte array (not copied; the caller must not change it afterwards). */
  public static Tensor ofBytes(DType dtype, long[] dims, byte[] bytes) {
    return of(dtype, dims, ByteBuffer.wrap(bytes));
  }

  /** A tensor of {@code dtype} with every element zero. */
  public static Tensor zeros(DType dtype, long[] dims) {
    long n = numElements(dims);
    if (dtype == DType.STRING) {
      byte[][] empty = new byte[(int) n][];
      Arrays.fill(empty, new byte[0]);
      return ofStrings(dims, empty);
    }
    return of(dtype, dims, allocate(dtype, n));
  }

  private static void checkCount(long[] dims, int count) {
    long n = numElements(dims);
    if (n != count) {
      throw new IllegalArgumentException(
          "shape " + Shape.toString(dims) + " has " + n + " elements, given " + count);
    }
  }

  public DType dtype() {
    return dtype;
  }

  /** The dimensions (a copy). */
  public long[] dims() {
    return dims.clone();
  }

  public int rank() {
    return dims.length;
  }

  public long dim(int i) {
    return dims[i];
  }

  public long numElements() {
    return numElements(dims);
  }

  public Shape shape() {
    return Shape.of(dims);
  }

  public ValueType.TensorType type() {
    return new ValueType.TensorType(dtype, shape());
  }

  /** Size of the data in bytes (for strings, the sum of element lengths). */
  public long byteSize() {
    if (strings != null) {
      long s = 0;
      for (byte[] e : strings) {
        s += e.length;
      }
      return s;
    }
    return data.capacity();
  }

  /** A read-only, little-endian view of the data, positioned at 0. Not for string tensors. */
  public ByteBuffer data() {
    if (strings != null) {
      throw new IllegalStateException("string tensors have no byte buffer");
    }
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The data as a fresh byte array. */
  public byte[] toByteArray() {
    ByteBuffer d = data();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  /** String elements (copies). */
  public byte[][] strings() {
    if (strings == null) {
      throw new IllegalStateException("not a string tensor: " + dtype.textName());
    }
    byte[][] copy = new byte[strings.length][];
    for (int i = 0; i < strings.length; i++) {
      copy[i] = strings[i].clone();
    }
    return copy;
  }

  /** Whether the data lives in a memory-mapped file rather than the heap. */
  public boolean isMapped() {
    return data != null && data.isDirect();
  }

  private int count() {
    long n = numElements();
    if (n > Integer.MAX_VALUE) {
      throw new IllegalStateException("tensor too large for an array: " + n + " elements");
    }
    return (int) n;
  }

  /** Every element widened to double (float16/bfloat16 decoded, unsigned types zero-extended). */
  public double[] toDoubleArray() {
    int n = count();
    double[] out = new double[n];
    ByteBuffer d = data();
    for (int i = 0; i < n; i++) {
      out[i] = readDouble(d, i);
    }
    return out;
  }

  /** Every element as float (narrowing doubles and 64-bit integers). */
  public float[] toFloatArray() {
    int n = count();
    float[] out = new float[n];
    if (dtype == DType.FLOAT) {
      data().asFloatBuffer().get(out);
      return out;
    }
    ByteBuffer d = data();
    for (int i = 0; i < n; i++) {
      out[i] = (float) readDouble(d, i);
    }
    return out;
  }

  /** Every element as long; integer and bool types only (uint64 keeps its bit pattern). */
  public long[] toLongArray() {
    int n = count();
    long[] out = new long[n];
    if (dtype == DType.INT64 || dtype == DType.UINT64) {
      data().asLongBuffer().get(out);
      return out;
    }
    ByteBuffer d = data();
    for (int i = 0; i < n; i++) {
      out[i] = readLong(d, i);
    }
    return out;
  }

  private long readLong(ByteBuffer d, int i) {
    return switch (dtype) {
      case BOOL, UINT8 -> d.get(i) & 0xFFL;
      case INT8 -> d.get(i);
      case UINT16 -> d.getShort(2 * i) & 0xFFFFL;
      case INT16 -> d.getShort(2 * i);
      case INT32 -> d.getInt(4 * i);
      case UINT32 -> d.getInt(4 * i) & 0xFFFFFFFFL;
      case INT64, UINT64 -> d.getLong(8 * i);
      default -> throw new IllegalStateException("not an integer tensor: " + dtype.textName());
    };
  }

  private double readDouble(ByteBuffer d, int i) {
    return switch (dtype) {
      case FLOAT -> d.getFloat(4 * i);
      case DOUBLE -> d.getDouble(8 * i);
      case FLOAT16 -> HalfFloats.toFloat(d.getShort(2 * i));
      case BFLOAT16 -> HalfFloats.bfloat16ToFloat(d.getShort(2 * i));
      case UINT64 -> {
        long v = d.getLong(8 * i);
        yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
      }
      default -> readLong(d, i);
    };
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Tensor t) || dtype != t.dtype || !Arrays.equals(dims, t.dims)) {
      return false;
    }
    if (strings != null) {
      return Arrays.deepEquals(strings, t.strings);
    }
    return data().equals(t.data());
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * dtype.hashCode() + Arrays.hashCode(dims);
      h = 31 * h + (strings != null ? Arrays.deepHashCode(strings) : data().hashCode());
      hash = h == 0 ? 1 : h;
    }
    return hash;
  }

  @Override
  public String toString() {
    return "Tensor(" + dtype.textName() + Shape.toString(dims) + ")";
  }
}

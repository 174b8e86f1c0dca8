package dev.convoy.ir.ops;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor at evaluation time: element type, dimensions and a primitive Java array, so kernels
 * loop over {@code float[]} or {@code long[]} without boxing or byte-buffer reads. The storage
 * array per element type is fixed: float32 {@code float[]}, float64 {@code double[]},
 * (u)int64 {@code long[]}, (u)int32 {@code int[]}, (u)int16/float16/bfloat16 {@code short[]}
 * (raw bits for the half types), (u)int8/bool {@code byte[]}, string {@code byte[][]}; the 8-bit
 * floats and the sub-byte types {@code byte[]} with one element per byte (float codes as raw
 * bits, int4/int2 sign-extended), packed and unpacked by {@link NarrowTypes} at the tensor edge.
 *
 * <p>Kernels must treat their inputs as immutable: the storage of an input may be shared with an
 * initializer or with another value. A kernel fills the arrays of the arrays it allocates and then
 * hands them out; from then on they are read-only too.
 *
 * <p>An array may be a <em>view</em>: its elements are {@code array()[offset() .. offset() +
 * size())} of a larger storage array, as the evaluator hands out values that live in a memory
 * plan's arena and the outputs a kernel takes from {@link KernelContext#output}. Kernels written
 * for views index {@link #array()} from {@link #offset()}; every other accessor of the elements
 * ({@link #floats()}, {@link #data()}, {@link #toFloats()}...) gives a dense array indexed from
 * zero, a copy for a view, so a kernel that knows nothing of views reads them correctly.
 */
public final class NdArray implements RuntimeValue {
  private final DType dtype;
  private final long[] dims;
  private final int size;
  private final Object data;
  private final int offset;

  private NdArray(DType dtype, long[] dims, int size, Object data) {
    this(dtype, dims, size, data, 0);
  }

  private NdArray(DType dtype, long[] dims, int size, Object data, int offset) {
    this.dtype = dtype;
    this.dims = dims;
    this.size = size;
    this.data = data;
    this.offset = offset;
  }

  /** Element count of {@code dims} as an array length; clear errors on negative or huge shapes. */
  public static int checkedSize(long[] dims) {
    long n = Tensor.numElements(dims);
    if (n > Integer.MAX_VALUE - 8) {
      throw new ConvoyException(
          "tensor of shape " + Shape.toString(dims) + " has " + n
              + " elements, more than the evaluator can hold in one array");
    }
    return (int) n;
  }

  /** Wraps a storage array (not copied) after checking its class and length against the shape. */
  public static NdArray wrap(DType dtype, long[] dims, Object data) {
    int n = checkedSize(dims);
    Class<?> want = storageClass(dtype);
    if (data.getClass() != want) {
      throw new IllegalArgumentException(
          dtype.textName() + " needs a " + want.getSimpleName() + ", got "
              + data.getClass().getSimpleName());
    }
    int len = java.lang.reflect.Array.getLength(data);
    if (len != n) {
      throw new ConvoyException(
          "tensor of type " + dtype.textName() + " and shape " + Shape.toString(dims) + " needs "
              + n + " elements but has " + len);
    }
    return new NdArray(dtype, dims.clone(), n, data);
  }

  /**
   * A view of the elements {@code data[offset .. offset + size)} of a larger storage array (not
   * copied) under {@code dims}.
   */
  public static NdArray view(DType dtype, long[] dims, Object data, int offset) {
    int n = checkedSize(dims);
    Class<?> want = storageClass(dtype);
    if (data.getClass() != want) {
      throw new IllegalArgumentException(
          dtype.textName() + " needs a " + want.getSimpleName() + ", got "
              + data.getClass().getSimpleName());
    }
    if (offset < 0 || offset + (long) n > java.lang.reflect.Array.getLength(data)) {
      throw new IllegalArgumentException("a view of " + n + " elements at " + offset
          + " does not fit a storage array of " + java.lang.reflect.Array.getLength(data));
    }
    return new NdArray(dtype, dims.clone(), n, data, offset);
  }

  /** A zero-filled (empty-string-filled) array. */
  public static NdArray allocate(DType dtype, long[] dims) {
    int n = checkedSize(dims);
    return new NdArray(dtype, dims.clone(), n, newStorage(dtype, n));
  }

  static Object newStorage(DType dtype, int n) {
    return switch (dtype) {
      case FLOAT -> new float[n];
      case DOUBLE -> new double[n];
      case INT64, UINT64 -> new long[n];
      case INT32, UINT32 -> new int[n];
      case INT16, UINT16, FLOAT16, BFLOAT16 -> new short[n];
      case INT8, UINT8, BOOL -> new byte[n];
      case FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1, INT4, UINT4, INT2,
          UINT2 -> new byte[n];
      case STRING -> {
        byte[][] s = new byte[n][];
        Arrays.fill(s, new byte[0]);
        yield s;
      }
      default -> throw unsupported(dtype);
    };
  }

  /** The storage array class for {@code dtype}. */
  public static Class<?> storageClass(DType dtype) {
    return switch (dtype) {
      case FLOAT -> float[].class;
      case DOUBLE -> double[].class;
      case INT64, UINT64 -> long[].class;
      case INT32, UINT32 -> int[].class;
      case INT16, UINT16, FLOAT16, BFLOAT16 -> short[].class;
      case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ,
          FLOAT4E2M1, INT4, UINT4, INT2, UINT2 -> byte[].class;
      case STRING -> byte[][].class;
      default -> throw unsupported(dtype);
    };
  }

  static UnsupportedOpException unsupported(DType dtype) {
    return new UnsupportedOpException(
        "element type " + dtype.textName() + " is not supported by the evaluator");
  }

  public static NdArray ofFloats(long[] dims, float... v) {
    return wrap(DType.FLOAT, dims, v);
  }

  public static NdArray ofDoubles(long[] dims, double... v) {
    return wrap(DType.DOUBLE, dims, v);
  }

  public static NdArray ofLongs(long[] dims, long... v) {
    return wrap(DType.INT64, dims, v);
  }

  public static NdArray ofInts(long[] dims, int... v) {
    return wrap(DType.INT32, dims, v);
  }

  public static NdArray ofBools(long[] dims, boolean... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) (v[i] ? 1 : 0);
    }
    return wrap(DType.BOOL, dims, b);
  }

  public static NdArray scalarLong(long v) {
    return ofLongs(new long[0], v);
  }

  public static NdArray scalarFloat(float v) {
    return ofFloats(new long[0], v);
  }

  public static NdArray scalarBool(boolean v) {
    return ofBools(new long[0], v);
  }

  /** A 1-D int64 array (shapes, axes, indices). */
  public static NdArray vector(long... v) {
    return ofLongs(new long[] {v.length}, v);
  }

  // ---- conversions to and from graph tensors ----

  /** Copies a graph tensor's data into primitive storage. */
  public static NdArray fromTensor(Tensor t) {
    DType dt = t.dtype();
    long[] dims = t.dims();
    int n = checkedSize(dims);
    if (dt == DType.STRING) {
      return new NdArray(dt, dims, n, t.strings());
    }
    ByteBuffer b = t.data();
    if (NarrowTypes.packedBits(dt) > 0) {
      byte[] packed = new byte[b.remaining()];
      b.get(packed);
      return new NdArray(dt, dims, n, NarrowTypes.unpack(dt, packed, n));
    }
    Object data = newStorage(dt, n);
    switch (dt) {
      case FLOAT -> b.asFloatBuffer().get((float[]) data);
      case DOUBLE -> b.asDoubleBuffer().get((double[]) data);
      case INT64, UINT64 -> b.asLongBuffer().get((long[]) data);
      case INT32, UINT32 -> b.asIntBuffer().get((int[]) data);
      case INT16, UINT16, FLOAT16, BFLOAT16 -> b.asShortBuffer().get((short[]) data);
      default -> b.get((byte[]) data);
    }
    return new NdArray(dt, dims, n, data);
  }

  /** A graph tensor holding a copy of this array's data. */
  public Tensor toTensor() {
    Object data = data();
    if (dtype == DType.STRING) {
      return Tensor.ofStrings(dims, (byte[][]) data);
    }
    if (NarrowTypes.packedBits(dtype) > 0) {
      return Tensor.ofBytes(dtype, dims, NarrowTypes.pack(dtype, (byte[]) data));
    }
    long bytes = (long) size * dtype.byteSize();
    if (bytes > Integer.MAX_VALUE) {
      throw new ConvoyException("tensor of " + bytes + " bytes exceeds the 2 GiB buffer limit");
    }
    ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT -> b.asFloatBuffer().put((float[]) data);
      case DOUBLE -> b.asDoubleBuffer().put((double[]) data);
      case INT64, UINT64 -> b.asLongBuffer().put((long[]) data);
      case INT32, UINT32 -> b.asIntBuffer().put((int[]) data);
      case INT16, UINT16, FLOAT16, BFLOAT16 -> b.asShortBuffer().put((short[]) data);
      default -> b.put((byte[]) data).flip();
    }
    return Tensor.of(dtype, dims, b);
  }

  // ---- shape ----

  public DType dtype() {
    return dtype;
  }

  /** The dimensions (a copy). */
  public long[] dims() {
    return dims.clone();
  }

  public long dim(int i) {
    return dims[i];
  }

  public int rank() {
    return dims.length;
  }

  /** Element count. */
  public int size() {
    return size;
  }

  public Shape shape() {
    return Shape.of(dims);
  }

  /** The same data under new dimensions of equal element count (storage shared). */
  public NdArray reshape(long[] newDims) {
    if (checkedSize(newDims) != size) {
      throw new ConvoyException(
          "cannot reshape " + Shape.toString(dims) + " to " + Shape.toString(newDims));
    }
    return new NdArray(dtype, newDims.clone(), size, data, offset);
  }

  // ---- raw storage (shared, never mutate an input's) ----

  /**
   * The storage array, whose elements {@code offset() .. offset() + size()} are this array's;
   * for kernels that read views in place (and write the outputs they take from the context).
   */
  public Object array() {
    return data;
  }

  /** Index in {@link #array()} of element 0. */
  public int offset() {
    return offset;
  }

  /** Whether the storage array holds exactly this array's elements from index 0. */
  public boolean isDense() {
    return offset == 0 && java.lang.reflect.Array.getLength(data) == size;
  }

  /** This array if it is dense, else a dense copy of its elements. */
  public NdArray dense() {
    if (isDense()) {
      return this;
    }
    Object copy = dtype == DType.STRING ? new byte[size][] : newStorage(dtype, size);
    System.arraycopy(data, offset, copy, 0, size);
    return new NdArray(dtype, dims, size, copy);
  }

  /** The storage array indexed from zero (a copy when this is a view, to read only). */
  public Object data() {
    return dense().data;
  }

  public float[] floats() {
    return (float[]) storage(float[].class);
  }

  public double[] doubles() {
    return (double[]) storage(double[].class);
  }

  public long[] longs() {
    return (long[]) storage(long[].class);
  }

  public int[] ints() {
    return (int[]) storage(int[].class);
  }

  public short[] shorts() {
    return (short[]) storage(short[].class);
  }

  public byte[] bytes() {
    return (byte[]) storage(byte[].class);
  }

  public byte[][] strings() {
    return (byte[][]) storage(byte[][].class);
  }

  private Object storage(Class<?> c) {
    if (data.getClass() != c) {
      throw new IllegalStateException(
          dtype.textName() + " tensor is not stored as " + c.getSimpleName());
    }
    return data();
  }

  // ---- element access and widening copies ----

  /** Element {@code i} widened to double (half types decoded, unsigned types zero-extended). */
  public double getDouble(int i) {
    return switch (dtype) {
      case FLOAT -> ((float[]) data)[offset + i];
      case DOUBLE -> ((double[]) data)[offset + i];
      case FLOAT16 -> HalfFloats.toFloat(((short[]) data)[offset + i]);
      case BFLOAT16 -> HalfFloats.bfloat16ToFloat(((short[]) data)[offset + i]);
      case UINT64 -> unsignedToDouble(((long[]) data)[offset + i]);
      case FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1 ->
          NarrowTypes.decode(dtype, ((byte[]) data)[offset + i]);
      default -> getLong(i);
    };
  }

  /** Element {@code i} as long: integers sign- or zero-extended, floats truncated, bool 0/1. */
  public long getLong(int i) {
    return switch (dtype) {
      case INT64, UINT64 -> ((long[]) data)[offset + i];
      case INT32 -> ((int[]) data)[offset + i];
      case UINT32 -> ((int[]) data)[offset + i] & 0xFFFFFFFFL;
      case INT16 -> ((short[]) data)[offset + i];
      case UINT16 -> ((short[]) data)[offset + i] & 0xFFFFL;
      case INT8, INT4, INT2 -> ((byte[]) data)[offset + i];
      case UINT8, BOOL, UINT4, UINT2 -> ((byte[]) data)[offset + i] & 0xFFL;
      case STRING -> throw new IllegalStateException("string tensor has no numeric elements");
      default -> (long) getDouble(i);
    };
  }

  /** Stores {@code v} at {@code i}, converting to the element type (for arrays being built). */
  public void setDouble(int i, double v) {
    switch (dtype) {
      case FLOAT -> ((float[]) data)[offset + i] = (float) v;
      case DOUBLE -> ((double[]) data)[offset + i] = v;
      case FLOAT16 -> ((short[]) data)[offset + i] = HalfFloats.fromFloat((float) v);
      case BFLOAT16 -> ((short[]) data)[offset + i] = HalfFloats.bfloat16FromFloat((float) v);
      case BOOL -> ((byte[]) data)[offset + i] = (byte) (v != 0 ? 1 : 0);
      case UINT64 -> ((long[]) data)[offset + i] = doubleToUnsigned(v);
      case FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1 ->
          ((byte[]) data)[offset + i] = (byte) NarrowTypes.encode(dtype, v, true);
      default -> setLong(i, (long) v);
    }
  }

  /** Stores {@code v} at {@code i}, wrapping to the element width (for arrays being built). */
  public void setLong(int i, long v) {
    switch (dtype) {
      case INT64, UINT64 -> ((long[]) data)[offset + i] = v;
      case INT32, UINT32 -> ((int[]) data)[offset + i] = (int) v;
      case INT16, UINT16 -> ((short[]) data)[offset + i] = (short) v;
      case INT8, UINT8 -> ((byte[]) data)[offset + i] = (byte) v;
      case INT4, UINT4, INT2, UINT2 -> ((byte[]) data)[offset + i] = (byte) NarrowTypes.wrapInteger(dtype, v);
      case BOOL -> ((byte[]) data)[offset + i] = (byte) (v != 0 ? 1 : 0);
      case STRING -> throw new IllegalStateException("string tensor has no numeric elements");
      default -> setDouble(i, v);
    }
  }

  /** All elements as double; returns the storage itself for dense float64 (do not mutate). */
  public double[] toDoubles() {
    if (dtype == DType.DOUBLE) {
      return (double[]) data();
    }
    double[] out = new double[size];
    if (dtype == DType.FLOAT) {
      float[] f = (float[]) data;
      for (int i = 0; i < size; i++) {
        out[i] = f[offset + i];
      }
      return out;
    }
    for (int i = 0; i < size; i++) {
      out[i] = getDouble(i);
    }
    return out;
  }

  /** All elements as float; returns the storage itself for dense float32 (do not mutate). */
  public float[] toFloats() {
    if (dtype == DType.FLOAT) {
      return (float[]) data();
    }
    float[] out = new float[size];
    if (dtype == DType.FLOAT16) {
      short[] s = (short[]) data;
      for (int i = 0; i < size; i++) {
        out[i] = HalfFloats.toFloat(s[offset + i]);
      }
      return out;
    }
    for (int i = 0; i < size; i++) {
      out[i] = (float) getDouble(i);
    }
    return out;
  }

  /** All elements as long; returns the storage itself for dense (u)int64 (do not mutate). */
  public long[] toLongs() {
    if (data instanceof long[]) {
      return (long[]) data();
    }
    long[] out = new long[size];
    for (int i = 0; i < size; i++) {
      out[i] = getLong(i);
    }
    return out;
  }

  /** Builds an array of {@code dtype} from doubles (rounding half types, truncating integers). */
  public static NdArray fromDoubles(DType dtype, long[] dims, double[] v) {
    if (dtype == DType.DOUBLE) {
      return wrap(dtype, dims, v);
    }
    NdArray out = allocate(dtype, dims);
    if (dtype == DType.FLOAT) {
      float[] f = out.floats();
      for (int i = 0; i < v.length; i++) {
        f[i] = (float) v[i];
      }
      return out;
    }
    for (int i = 0; i < v.length; i++) {
      out.setDouble(i, v[i]);
    }
    return out;
  }

  /** Builds an array of a float type from floats (half types rounded to nearest even). */
  public static NdArray fromFloats(DType dtype, long[] dims, float[] v) {
    if (dtype == DType.FLOAT) {
      return wrap(dtype, dims, v);
    }
    NdArray out = allocate(dtype, dims);
    for (int i = 0; i < v.length; i++) {
      out.setDouble(i, v[i]);
    }
    return out;
  }

  /** Builds an array of {@code dtype} from longs (wrapping to the element width). */
  public static NdArray fromLongs(DType dtype, long[] dims, long[] v) {
    if (dtype == DType.INT64 || dtype == DType.UINT64) {
      return wrap(dtype, dims, v);
    }
    NdArray out = allocate(dtype, dims);
    for (int i = 0; i < v.length; i++) {
      out.setLong(i, v[i]);
    }
    return out;
  }

  static double unsignedToDouble(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
  }

  static long doubleToUnsigned(double v) {
    if (v < 9.223372036854775807E18) {
      return (long) v;
    }
    return (long) (v - 9.223372036854775807E18) + Long.MIN_VALUE;
  }

  /** Structural equality (dtype, dims, elements bit for bit); for tests and folding checks. */
  public boolean sameAs(NdArray o) {
    if (dtype != o.dtype || !Arrays.equals(dims, o.dims)) {
      return false;
    }
    return Arrays.deepEquals(new Object[] {data()}, new Object[] {o.data()});
  }

  @Override
  public String toString() {
    return "NdArray(" + describe() + ")";
  }
}

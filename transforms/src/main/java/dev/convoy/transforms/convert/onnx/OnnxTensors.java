package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Converts ONNX {@code TensorProto}s to Convoy {@link Tensor}s and back, and reads and writes the
 * {@code .pb} tensor files of the ONNX test data sets. Reading accepts {@code raw_data}, every
 * typed field ({@code float_data}; {@code int32_data} for 8/16-bit integers, bool, float16,
 * bfloat16 and float8 bit patterns; {@code int64_data}; {@code double_data}; {@code uint64_data};
 * {@code string_data}) and external data, which is memory-mapped. Writing always uses {@code
 * raw_data} (or {@code string_data}) without copying the tensor's buffer.
 */
public final class OnnxTensors {
  private OnnxTensors() {}

  /**
   * The tensor {@code t} describes. External data is resolved against {@code baseDir} (the model's
   * folder; {@code null} when there is none) and mapped, not copied.
   */
  public static Tensor fromProto(TensorProto t, Path baseDir) {
    return read(t, new ExternalData(baseDir));
  }

  static Tensor read(TensorProto t, ExternalData external) {
    String what = "tensor '" + t.getName() + "'";
    if (!t.hasDataType() || t.getDataType() == 0) {
      throw new InvalidModelException(what + " has no element type");
    }
    DType dtype;
    try {
      dtype = DType.fromOnnx(t.getDataType());
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(what + ": " + e.getMessage());
    }
    if (t.hasSegment()) {
      throw new UnsupportedOpException(what + ": segmented tensors are not supported");
    }
    long[] dims = new long[t.getDimsCount()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = t.getDims(i);
      if (dims[i] < 0) {
        throw new InvalidModelException(what + " has negative dimension " + dims[i]);
      }
    }
    long n = Tensor.numElements(dims);
    try {
      if (dtype == DType.STRING) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
          throw new UnsupportedOpException(what + ": string tensors with external data are not supported");
        }
        checkCount(what, "string_data", t.getStringDataCount(), n);
        byte[][] values = new byte[t.getStringDataCount()][];
        for (int i = 0; i < values.length; i++) {
          values[i] = t.getStringData(i).toByteArray();
        }
        return Tensor.ofStrings(dims, values);
      }
      long bytes = dtype.storageBytes(n);
      if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
        return Tensor.of(dtype, dims, external.map(t, bytes));
      }
      if (t.hasRawData()) {
        // Zero-copy: the ByteString aliases the parsed buffer (mapped file or caller's array).
        return Tensor.of(dtype, dims, t.getRawData().asReadOnlyByteBuffer());
      }
      return Tensor.of(dtype, dims, typedData(t, what, dtype, n, bytes));
    } catch (ArithmeticException e) {
      throw new InvalidModelException(what + " is too large");
    } catch (UnsupportedOpException e) {
      throw e;
    } catch (InvalidModelException e) {
      throw e.getMessage().startsWith(what) ? e : new InvalidModelException(what + ": " + e.getMessage(), e);
    }
  }

  private static ByteBuffer typedData(TensorProto t, String what, DType dtype, long n, long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new InvalidModelException(what + ": typed data larger than 2 GiB");
    }
    ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT -> {
        checkCount(what, "float_data", t.getFloatDataCount(), n);
        t.getFloatDataList().forEach(b::putFloat);
      }
      case COMPLEX64 -> {
        checkCount(what, "float_data", t.getFloatDataCount(), 2 * n);
        t.getFloatDataList().forEach(b::putFloat);
      }
      case DOUBLE -> {
        checkCount(what, "double_data", t.getDoubleDataCount(), n);
        t.getDoubleDataList().forEach(b::putDouble);
      }
      case COMPLEX128 -> {
        checkCount(what, "double_data", t.getDoubleDataCount(), 2 * n);
        t.getDoubleDataList().forEach(b::putDouble);
      }
      case INT64 -> {
        checkCount(what, "int64_data", t.getInt64DataCount(), n);
        t.getInt64DataList().forEach(b::putLong);
      }
      case UINT64 -> {
        checkCount(what, "uint64_data", t.getUint64DataCount(), n);
        t.getUint64DataList().forEach(b::putLong);
      }
      case UINT32 -> {
        checkCount(what, "uint64_data", t.getUint64DataCount(), n);
        t.getUint64DataList().forEach(v -> b.putInt((int) (long) v));
      }
      case INT32 -> {
        checkCount(what, "int32_data", t.getInt32DataCount(), n);
        t.getInt32DataList().forEach(b::putInt);
      }
      case INT16, UINT16, FLOAT16, BFLOAT16 -> {
        checkCount(what, "int32_data", t.getInt32DataCount(), n);
        t.getInt32DataList().forEach(v -> b.putShort((short) (int) v));
      }
      case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> {
        checkCount(what, "int32_data", t.getInt32DataCount(), n);
        t.getInt32DataList().forEach(v -> b.put((byte) (int) v));
      }
      case INT4, UINT4, FLOAT4E2M1, INT2, UINT2 -> {
        // Sub-byte types keep one packed byte per int32_data entry.
        checkCount(what, "int32_data", t.getInt32DataCount(), bytes);
        t.getInt32DataList().forEach(v -> b.put((byte) (int) v));
      }
      default -> throw new UnsupportedOpException(
          what + ": element type " + dtype.textName() + " is not supported");
    }
    b.flip();
    return b;
  }

  private static void checkCount(String what, String field, int count, long expected) {
    if (count != expected) {
      throw new InvalidModelException(
          what + " has " + count + " values in " + field + " (and no raw_data) but its shape needs "
              + expected);
    }
  }

  /** Dense values of a sparse tensor: zeros everywhere except at the listed indices. */
  static Tensor densify(SparseTensorProto s, ExternalData external) {
    return densify(sparseFromProto(s, external), s.getValues().getName());
  }

  static Attribute.SparseTensorAttr sparseFromProto(SparseTensorProto s, ExternalData external) {
    Tensor values = read(s.getValues(), external);
    Tensor indices = read(s.getIndices(), external);
    long[] dims = s.getDimsList().stream().mapToLong(Long::longValue).toArray();
    return new Attribute.SparseTensorAttr(values, indices, dims);
  }

  private static Tensor densify(Attribute.SparseTensorAttr s, String name) {
    String what = "sparse tensor '" + name + "'";
    Tensor values = s.values();
    if (values.dtype() == DType.STRING) {
      throw new UnsupportedOpException(what + ": sparse string tensors are not supported");
    }
    long[] dims = s.dims();
    long n = Tensor.numElements(dims);
    long nnz = values.numElements();
    long[] idx = s.indices().toLongArray();
    int width = values.dtype().byteSize();
    if (n * width > Integer.MAX_VALUE) {
      throw new InvalidModelException(what + " is too large to densify");
    }
    byte[] dense = new byte[(int) (n * width)];
    ByteBuffer src = values.data();
    for (long k = 0; k < nnz; k++) {
      long flat;
      if (s.indices().rank() == 2) {
        flat = 0;
        for (int d = 0; d < dims.length; d++) {
          flat = flat * dims[d] + idx[(int) (k * dims.length + d)];
        }
      } else {
        flat = idx[(int) k];
      }
      if (flat < 0 || flat >= n) {
        throw new InvalidModelException(
            what + ": index " + flat + " lies outside its " + n + " elements");
      }
      for (int b = 0; b < width; b++) {
        dense[(int) (flat * width + b)] = src.get((int) (k * width + b));
      }
    }
    return Tensor.ofBytes(values.dtype(), dims, dense);
  }

  /** The proto form of {@code t}, named {@code name}; the data is wrapped, not copied. */
  public static TensorProto toProto(Tensor t, String name) {
    TensorProto.Builder b = header(t, name);
    if (t.dtype() == DType.STRING) {
      for (byte[] s : t.strings()) {
        b.addStringData(ByteString.copyFrom(s));
      }
    } else {
      b.setRawData(UnsafeByteOperations.unsafeWrap(t.data()));
    }
    return b.build();
  }

  /** Name, element type and dimensions of {@code t}, without data. */
  static TensorProto.Builder header(Tensor t, String name) {
    TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.dtype().onnxCode());
    if (name != null && !name.isEmpty()) {
      b.setName(name);
    }
    for (long d : t.dims()) {
      b.addDims(d);
    }
    return b;
  }

  static SparseTensorProto sparseToProto(Attribute.SparseTensorAttr s) {
    var b = SparseTensorProto.newBuilder()
        .setValues(toProto(s.values(), null))
        .setIndices(toProto(s.indices(), null));
    for (long d : s.dims()) {
      b.addDims(d);
    }
    return b.build();
  }

  /** Reads a serialized {@code TensorProto} file (as in {@code test_data_set_0/input_0.pb}). */
  public static Tensor readPb(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.enableAliasing(true);
      TensorProto t = TensorProto.parseFrom(in);
      return fromProto(t, file.toAbsolutePath().getParent());
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidModelException(file + ": not a valid ONNX tensor (" + e.getMessage() + ")", e);
    } catch (InvalidModelException e) {
      throw new InvalidModelException(file + ": " + e.getMessage(), e);
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(file + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /** The name stored in a {@code .pb} tensor file. */
  public static String readPbName(Path file) {
    try {
      return TensorProto.parseFrom(Files.readAllBytes(file)).getName();
    } catch (IOException e) {
      throw new InvalidModelException(file + ": not a valid ONNX tensor (" + e.getMessage() + ")", e);
    }
  }

  /** Writes {@code t} as a serialized {@code TensorProto} named {@code name}. */
  public static void writePb(Tensor t, String name, Path file) {
    try (OutputStream out = Files.newOutputStream(file)) {
      toProto(t, name).writeTo(out);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot write (" + e.getMessage() + ")", e);
    }
  }
}

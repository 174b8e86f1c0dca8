package dev.convoy.transforms.convert.tf;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/** TensorFlow's TensorProto and DataType as Convoy tensors and element types. */
final class TfTensors {
  private TfTensors() {}

  /** The Convoy element type of a TensorFlow one, or {@code null} when Convoy has none. */
  static DType dtype(DataType t) {
    return switch (t) {
      case DT_FLOAT -> DType.FLOAT;
      case DT_DOUBLE -> DType.DOUBLE;
      case DT_HALF -> DType.FLOAT16;
      case DT_BFLOAT16 -> DType.BFLOAT16;
      case DT_INT8 -> DType.INT8;
      case DT_INT16 -> DType.INT16;
      case DT_INT32 -> DType.INT32;
      case DT_INT64 -> DType.INT64;
      case DT_UINT8 -> DType.UINT8;
      case DT_UINT16 -> DType.UINT16;
      case DT_UINT32 -> DType.UINT32;
      case DT_UINT64 -> DType.UINT64;
      case DT_BOOL -> DType.BOOL;
      default -> null;
    };
  }

  /**
   * The tensor a TensorProto holds: its packed {@code tensor_content}, or its typed value list,
   * where fewer values than elements repeat the last one (TensorFlow's rule) and none mean zeros.
   */
  static Tensor fromProto(TensorProto p) {
    DType d = dtype(p.getDtype());
    if (d == null) {
      throw new IllegalArgumentException("constant of type " + p.getDtype() + " is not supported");
    }
    long[] dims = p.getTensorShape().getDimList().stream().mapToLong(x -> x.getSize()).toArray();
    long n = Tensor.numElements(dims);
    if (!p.getTensorContent().isEmpty()) {
      return Tensor.of(d, dims, p.getTensorContent().asReadOnlyByteBuffer());
    }
    ByteBuffer buf = ByteBuffer.allocate((int) d.storageBytes(n)).order(ByteOrder.LITTLE_ENDIAN);
    List<? extends Number> values = switch (d) {
      case FLOAT -> p.getFloatValList();
      case DOUBLE -> p.getDoubleValList();
      case INT64 -> p.getInt64ValList();
      case UINT32 -> p.getUint32ValList();
      case UINT64 -> p.getUint64ValList();
      case FLOAT16, BFLOAT16, BOOL -> null;
      default -> p.getIntValList();
    };
    if (d == DType.BOOL) {
      for (long i = 0; i < n; i++) {
        List<Boolean> b = p.getBoolValList();
        buf.put((byte) (b.isEmpty() ? 0 : b.get((int) Math.min(i, b.size() - 1)) ? 1 : 0));
      }
    } else if (values == null) {
      List<Integer> half = p.getHalfValList();
      for (long i = 0; i < n; i++) {
        buf.putShort((short) (half.isEmpty() ? 0 : (int) half.get((int) Math.min(i, half.size() - 1))));
      }
    } else {
      for (long i = 0; i < n; i++) {
        Number v = values.isEmpty() ? 0 : values.get((int) Math.min(i, values.size() - 1));
        switch (d) {
          case FLOAT -> buf.putFloat(v.floatValue());
          case DOUBLE -> buf.putDouble(v.doubleValue());
          case INT64, UINT64 -> buf.putLong(v.longValue());
          case INT32, UINT32 -> buf.putInt(v.intValue());
          case INT16, UINT16 -> buf.putShort(v.shortValue());
          default -> buf.put(v.byteValue());
        }
      }
    }
    buf.flip();
    return Tensor.of(d, dims, buf);
  }

  /** {@code t} with its axes permuted ({@code out.dims[i] = t.dims[perm[i]]}). */
  static Tensor transpose(Tensor t, int... perm) {
    long[] in = t.dims();
    int r = in.length;
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      out[i] = in[perm[i]];
    }
    long[] inStride = new long[r];
    long s = 1;
    for (int i = r - 1; i >= 0; i--) {
      inStride[i] = s;
      s *= in[i];
    }
    int size = t.dtype().byteSize();
    ByteBuffer src = t.data();
    byte[] dst = new byte[(int) (s * size)];
    long[] idx = new long[r];
    for (long k = 0; k < s; k++) {
      long from = 0;
      for (int i = 0; i < r; i++) {
        from += idx[i] * inStride[perm[i]];
      }
      for (int b = 0; b < size; b++) {
        dst[(int) (k * size + b)] = src.get((int) (from * size + b));
      }
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < out[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return Tensor.ofBytes(t.dtype(), out, dst);
  }
}

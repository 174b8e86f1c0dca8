package dev.convoy.transforms.convert.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorflow.lite.schema.BufferT;
import org.tensorflow.lite.schema.BuiltinOptionsUnion;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.ModelT;
import org.tensorflow.lite.schema.OperatorCodeT;
import org.tensorflow.lite.schema.OperatorT;
import org.tensorflow.lite.schema.QuantizationParametersT;
import org.tensorflow.lite.schema.SubGraphT;
import org.tensorflow.lite.schema.TensorT;
import org.tensorflow.lite.schema.TensorType;

/**
 * Builds small TFLite models through the schema's FlatBuffers object API, for operators the test
 * models do not use: the result is a real {@code .tflite} that TFLite's runtime loads.
 */
final class TinyTflite {
  private final List<BufferT> buffers = new ArrayList<>(List.of(new BufferT()));
  private final List<OperatorCodeT> codes = new ArrayList<>();
  private final List<Sub> subgraphs = new ArrayList<>();
  private final SplittableRandom rng = new SplittableRandom(42);

  /** Subgraph 0 is the model's main graph; later ones are WHILE / IF bodies. */
  Sub subgraph() {
    Sub s = new Sub();
    subgraphs.add(s);
    return s;
  }

  byte[] build() {
    ModelT m = new ModelT();
    m.setVersion(3);
    m.setBuffers(buffers.toArray(new BufferT[0]));
    m.setOperatorCodes(codes.toArray(new OperatorCodeT[0]));
    m.setSubgraphs(subgraphs.stream().map(Sub::toT).toArray(SubGraphT[]::new));
    FlatBufferBuilder b = new FlatBufferBuilder();
    Model.finishModelBuffer(b, Model.pack(b, m));
    return b.sizedByteArray();
  }

  private int opcode(int builtin) {
    for (int i = 0; i < codes.size(); i++) {
      if (codes.get(i).getBuiltinCode() == builtin) {
        return i;
      }
    }
    OperatorCodeT c = new OperatorCodeT();
    c.setBuiltinCode(builtin);
    c.setDeprecatedBuiltinCode((byte) Math.min(builtin, 127));
    c.setVersion(1);
    codes.add(c);
    return codes.size() - 1;
  }

  /** One subgraph under construction. */
  final class Sub {
    private final List<TensorT> tensors = new ArrayList<>();
    private final List<OperatorT> ops = new ArrayList<>();
    private final List<Integer> inputs = new ArrayList<>();
    private final List<Integer> outputs = new ArrayList<>();

    int tensor(byte type, int... shape) {
      TensorT t = new TensorT();
      t.setName("t" + tensors.size());
      t.setType(type);
      t.setShape(shape);
      tensors.add(t);
      return tensors.size() - 1;
    }

    int input(byte type, int... shape) {
      int t = tensor(type, shape);
      inputs.add(t);
      return t;
    }

    int floats(int... shape) {
      return tensor(TensorType.FLOAT32, shape);
    }

    /** A float32 constant of random values in [-1, 1). */
    int weights(int... shape) {
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        b.putFloat((float) (rng.nextDouble() * 2 - 1));
      }
      return constant(TensorType.FLOAT32, b.array(), shape);
    }

    int ints(int[] values, int... shape) {
      ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (int v : values) {
        b.putInt(v);
      }
      return constant(TensorType.INT32, b.array(), shape);
    }

    int scalarFloat(float v) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
      return constant(TensorType.FLOAT32, b.array());
    }

    private int constant(byte type, byte[] bytes, int... shape) {
      int[] data = new int[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        data[i] = bytes[i] & 0xff;
      }
      BufferT buf = new BufferT();
      buf.setData(data);
      buffers.add(buf);
      int t = tensor(type, shape);
      tensors.get(t).setBuffer(buffers.size() - 1);
      return t;
    }

    /** Adds an operator; {@code options} is a schema {@code *OptionsT} or null. */
    void op(int builtin, byte optionsType, Object options, int[] ins, int... outs) {
      OperatorT o = new OperatorT();
      o.setOpcodeIndex(opcode(builtin));
      o.setInputs(ins);
      o.setOutputs(outs);
      if (options != null) {
        BuiltinOptionsUnion u = new BuiltinOptionsUnion();
        u.setType(optionsType);
        u.setValue(options);
        o.setBuiltinOptions(u);
      }
      ops.add(o);
    }

    /** Tensor {@code t} quantized: real = scale * (q - zeroPoint), per tensor or along {@code axis}. */
    int quantized(int t, float[] scales, long[] zeroPoints, int axis) {
      QuantizationParametersT q = new QuantizationParametersT();
      q.setScale(scales);
      q.setZeroPoint(zeroPoints);
      q.setQuantizedDimension(axis);
      tensors.get(t).setQuantization(q);
      return t;
    }

    /** A constant of random integers in [lo, hi] of {@code type} (int8, uint8 or int32). */
    int randomInts(byte type, int lo, int hi, int... shape) {
      int n = 1;
      for (int d : shape) {
        n *= d;
      }
      int width = type == TensorType.INT32 ? 4 : 1;
      ByteBuffer b = ByteBuffer.allocate(width * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        int v = lo + rng.nextInt(hi - lo + 1);
        if (width == 4) {
          b.putInt(v);
        } else {
          b.put((byte) v);
        }
      }
      return constant(type, b.array(), shape);
    }

    /** Marks {@code t} as a variable tensor (LSTM state) with no initial buffer. */
    int variable(int t) {
      tensors.get(t).setIsVariable(true);
      return t;
    }

    void output(int t) {
      outputs.add(t);
    }

    private SubGraphT toT() {
      SubGraphT s = new SubGraphT();
      s.setTensors(tensors.toArray(new TensorT[0]));
      s.setOperators(ops.toArray(new OperatorT[0]));
      s.setInputs(inputs.stream().mapToInt(Integer::intValue).toArray());
      s.setOutputs(outputs.stream().mapToInt(Integer::intValue).toArray());
      return s;
    }
  }
}

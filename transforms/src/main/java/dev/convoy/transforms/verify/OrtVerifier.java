package dev.convoy.transforms.verify;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs ONNX models in ONNX Runtime (CPU, every graph optimization off, one thread, sequential) and
 * compares their outputs on the same inputs: per output the maximum absolute and relative error,
 * the cosine similarity, whether the bytes are identical, and pass/fail under {@code |b - a| <=
 * atol + rtol * |a|} with {@code a} the reference (exact equality for integer, bool and string
 * outputs). A NaN or infinity where the other side has anything else always fails. One {@link
 * OrtEnvironment} serves the whole process.
 */
public final class OrtVerifier implements AutoCloseable {
  /** Comparison tolerances for floating-point outputs. */
  public record Tolerance(double rtol, double atol) {
    /** rtol 1e-4, atol 1e-5: Convoy's numeric-agreement bar. */
    public static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-5);
  }

  /** How one output of the candidate model compares with the reference's. */
  public record OutputComparison(
      String name,
      String dtype,
      String shape,
      double maxAbsError,
      double maxRelError,
      double cosine,
      boolean bitIdentical,
      boolean pass,
      String problem) {}

  /** Every output's comparison; {@code pass} when all pass. */
  public record Verification(List<OutputComparison> outputs, boolean pass, boolean bitIdentical) {
    public Verification {
      outputs = List.copyOf(outputs);
    }

    static Verification of(List<OutputComparison> outputs) {
      return new Verification(
          outputs,
          outputs.stream().allMatch(OutputComparison::pass),
          outputs.stream().allMatch(OutputComparison::bitIdentical));
    }

    /** The largest absolute error over all outputs (NaN entries, from missing outputs, skipped). */
    public double maxAbsError() {
      return outputs.stream().mapToDouble(OutputComparison::maxAbsError)
          .filter(x -> !Double.isNaN(x)).max().orElse(0);
    }

    /** The largest relative error over all outputs (NaN entries skipped). */
    public double maxRelError() {
      return outputs.stream().mapToDouble(OutputComparison::maxRelError)
          .filter(x -> !Double.isNaN(x)).max().orElse(0);
    }

    /** The smallest cosine similarity over all outputs (NaN entries skipped). */
    public double minCosine() {
      return outputs.stream().mapToDouble(OutputComparison::cosine)
          .filter(x -> !Double.isNaN(x)).min().orElse(1);
    }

    /**
     * The first failing output, described; else the first that is not bit-identical; {@code null}
     * when every output is identical.
     */
    public String firstFailure() {
      OutputComparison c = outputs.stream().filter(o -> !o.pass()).findFirst()
          .or(() -> outputs.stream().filter(o -> !o.bitIdentical()).findFirst())
          .orElse(null);
      if (c == null) {
        return null;
      }
      return c.name() + ": " + (c.problem() != null ? c.problem()
          : (c.pass() ? "within tolerance but not bit-identical, " : "")
              + "max abs error " + c.maxAbsError() + ", max rel error " + c.maxRelError()
              + ", cosine " + c.cosine());
    }
  }

  private static final class Env {
    static final OrtEnvironment INSTANCE =
        OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
  }

  private final OrtSession.SessionOptions options;
  private final Tolerance tolerance;

  public OrtVerifier() {
    this(Tolerance.DEFAULT);
  }

  public OrtVerifier(Tolerance tolerance) {
    this.tolerance = tolerance;
    try {
      options = new OrtSession.SessionOptions();
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      // Kernel failures on odd node tests are reported through exceptions, not the log.
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
    } catch (OrtException e) {
      throw new ConvoyException("cannot set up ONNX Runtime: " + e.getMessage(), e);
    }
  }

  /** The process-wide ONNX Runtime environment. */
  public static OrtEnvironment environment() {
    return Env.INSTANCE;
  }

  /** The session options used (no optimization, one thread); shared, do not close. */
  public OrtSession.SessionOptions sessionOptions() {
    return options;
  }

  /** Runs {@code reference} and {@code candidate} on {@code inputs} and compares every output. */
  public Verification compare(byte[] reference, byte[] candidate, Map<String, Tensor> inputs) {
    Map<String, Tensor> expected = run(reference, inputs);
    Map<String, Tensor> actual = run(candidate, inputs);
    return compareOutputs(expected, actual, tolerance);
  }

  /** Runs the model held in {@code model}; outputs in the model's output order. */
  public LinkedHashMap<String, Tensor> run(byte[] model, Map<String, Tensor> inputs) {
    try (OrtSession s = Env.INSTANCE.createSession(model, options)) {
      return run(s, inputs);
    } catch (OrtException e) {
      throw new ConvoyException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  /** Runs the model in {@code file} (which may use external data). */
  public LinkedHashMap<String, Tensor> run(Path file, Map<String, Tensor> inputs) {
    try (OrtSession s = Env.INSTANCE.createSession(file.toString(), options)) {
      return run(s, inputs);
    } catch (OrtException e) {
      throw new ConvoyException(file + ": ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  private static LinkedHashMap<String, Tensor> run(OrtSession s, Map<String, Tensor> inputs)
      throws OrtException {
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        feeds.put(e.getKey(), toOrt(e.getKey(), e.getValue()));
      }
      LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
      try (OrtSession.Result r = s.run(feeds)) {
        for (Map.Entry<String, OnnxValue> e : r) {
          if (!(e.getValue() instanceof OnnxTensor t)) {
            throw new ConvoyException(
                "output '" + e.getKey() + "' is a " + e.getValue().getType()
                    + "; only tensor outputs can be compared");
          }
          out.put(e.getKey(), fromOrt(e.getKey(), t));
        }
      }
      return out;
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  /** {@code t} as an ONNX Runtime tensor (a direct copy of its data). */
  public static OnnxTensor toOrt(String name, Tensor t) throws OrtException {
    long[] shape = t.dims();
    if (t.dtype() == DType.STRING) {
      byte[][] raw = t.strings();
      String[] s = new String[raw.length];
      for (int i = 0; i < raw.length; i++) {
        s[i] = new String(raw[i], StandardCharsets.UTF_8);
      }
      return OnnxTensor.createTensor(Env.INSTANCE, s, shape);
    }
    OnnxJavaType type = switch (t.dtype()) {
      case FLOAT -> OnnxJavaType.FLOAT;
      case DOUBLE -> OnnxJavaType.DOUBLE;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case BOOL -> OnnxJavaType.BOOL;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case BFLOAT16 -> OnnxJavaType.BFLOAT16;
      default -> throw new ConvoyException(
          "input '" + name + "': ONNX Runtime's Java API cannot create tensors of type "
              + t.dtype().textName());
    };
    ByteBuffer src = t.data();
    ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
    direct.put(src).flip();
    return OnnxTensor.createTensor(Env.INSTANCE, direct, shape, type);
  }

  /** An ONNX Runtime tensor as a Convoy heap tensor. */
  public static Tensor fromOrt(String name, OnnxTensor t) throws OrtException {
    TensorInfo info = t.getInfo();
    // The Java enum numbers types its own way; its names follow ONNX's.
    DType dtype;
    try {
      dtype = DType.valueOf(info.onnxType.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", ""));
    } catch (IllegalArgumentException e) {
      throw new ConvoyException(
          "output '" + name + "' has an element type ONNX Runtime's Java API does not report ("
              + info.onnxType + ")");
    }
    long[] shape = info.getShape();
    if (dtype == DType.STRING) {
      List<byte[]> flat = new ArrayList<>();
      flatten(t.getValue(), flat);
      return Tensor.ofStrings(shape, flat.toArray(new byte[0][]));
    }
    ByteBuffer b = t.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return Tensor.ofBytes(dtype, shape, bytes);
  }

  private static void flatten(Object v, List<byte[]> out) {
    if (v instanceof String s) {
      out.add(s.getBytes(StandardCharsets.UTF_8));
    } else if (v != null && v.getClass().isArray()) {
      for (int i = 0; i < Array.getLength(v); i++) {
        flatten(Array.get(v, i), out);
      }
    }
  }

  /** Compares {@code actual} with {@code expected}, output by output (by name). */
  public static Verification compareOutputs(
      Map<String, Tensor> expected, Map<String, Tensor> actual, Tolerance tol) {
    List<OutputComparison> out = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      Tensor b = actual.get(e.getKey());
      if (b == null) {
        out.add(new OutputComparison(e.getKey(), e.getValue().dtype().textName(),
            e.getValue().shape().toString(), Double.NaN, Double.NaN, Double.NaN, false, false,
            "missing from the candidate's outputs"));
      } else {
        out.add(compareTensors(e.getKey(), e.getValue(), b, tol));
      }
    }
    for (String name : actual.keySet()) {
      if (!expected.containsKey(name)) {
        Tensor b = actual.get(name);
        out.add(new OutputComparison(name, b.dtype().textName(), b.shape().toString(), Double.NaN,
            Double.NaN, Double.NaN, false, false, "not an output of the reference"));
      }
    }
    return Verification.of(out);
  }

  /** Compares one output; {@code a} is the reference. */
  public static OutputComparison compareTensors(String name, Tensor a, Tensor b, Tolerance tol) {
    String dtype = a.dtype().textName();
    String shape = Shape.toString(a.dims());
    if (a.dtype() != b.dtype() || !Arrays.equals(a.dims(), b.dims())) {
      return new OutputComparison(name, dtype, shape, Double.NaN, Double.NaN, Double.NaN, false,
          false, "type or shape differs: " + a + " vs " + b);
    }
    boolean identical = a.equals(b);
    DType d = a.dtype();
    boolean numeric = switch (d) {
      case FLOAT, DOUBLE, FLOAT16, BFLOAT16, BOOL, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64,
          UINT64 -> true;
      default -> false;
    };
    if (!numeric) {
      // Strings and types Convoy does not compute with (float8, complex): bytes must match.
      return new OutputComparison(name, dtype, shape, identical ? 0 : Double.NaN,
          identical ? 0 : Double.NaN, identical ? 1 : Double.NaN, identical, identical,
          identical ? null : "values differ");
    }
    double[] x = a.toDoubleArray();
    double[] y = b.toDoubleArray();
    boolean exact = !(d == DType.FLOAT || d == DType.DOUBLE || d == DType.FLOAT16 || d == DType.BFLOAT16);
    double maxAbs = 0;
    double maxRel = 0;
    double dot = 0;
    double nx = 0;
    double ny = 0;
    boolean pass = true;
    for (int i = 0; i < x.length; i++) {
      double p = x[i];
      double q = y[i];
      if (Double.isNaN(p) || Double.isNaN(q)) {
        if (!(Double.isNaN(p) && Double.isNaN(q))) {
          pass = false;
          maxAbs = Double.POSITIVE_INFINITY;
          maxRel = Double.POSITIVE_INFINITY;
        }
        continue;
      }
      if (p != q && (Double.isInfinite(p) || Double.isInfinite(q))) {
        // An infinity only matches itself: no tolerance scaled by |p| may absorb it.
        pass = false;
        maxAbs = Double.POSITIVE_INFINITY;
        maxRel = Double.POSITIVE_INFINITY;
        continue;
      }
      double diff = p == q ? 0 : Math.abs(p - q);
      maxAbs = Math.max(maxAbs, diff);
      if (p != 0) {
        maxRel = Math.max(maxRel, diff / Math.abs(p));
      } else if (diff > 0) {
        maxRel = Double.POSITIVE_INFINITY;
      }
      pass &= exact ? diff == 0 : diff <= tol.atol() + tol.rtol() * Math.abs(p);
      if (Double.isFinite(p) && Double.isFinite(q)) {
        dot += p * q;
        nx += p * p;
        ny += q * q;
      }
    }
    double cosine = nx == 0 && ny == 0 ? 1 : (nx == 0 || ny == 0 ? 0 : dot / Math.sqrt(nx * ny));
    return new OutputComparison(name, dtype, shape, maxAbs, maxRel, cosine, identical, pass, null);
  }

  @Override
  public void close() {
    options.close();
  }
}

package dev.convoy.transforms.verify;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Deterministic inputs for a graph's real inputs (initializers are not inputs), following the
 * test-data value rules: floating-point inputs uniform in [0, 1) when rank 4 (images) and in
 * [-1, 1) otherwise; integer inputs named {@code *mask*} all 1, {@code *token_type*} all 0, {@code
 * sr} 16000, {@code *ids*} or {@code *token*} uniform in [0, 1000), any other uniform in [0, 4);
 * bools uniform. Shapes come from {@code shapes} (oracle args or user overrides) where given, else
 * from the input's static type; a symbolic or unknown dimension without a given shape is an error.
 * The same seed, graph and shapes give the same tensors.
 */
public final class SeededInputs {
  /** The seed used when the caller gives none. */
  public static final long DEFAULT_SEED = 20240601L;

  private SeededInputs() {}

  public static LinkedHashMap<String, Tensor> generate(Graph graph, Map<String, long[]> shapes) {
    return generate(graph, shapes, DEFAULT_SEED);
  }

  /** One tensor per real input of {@code graph}, in input order. */
  public static LinkedHashMap<String, Tensor> generate(
      Graph graph, Map<String, long[]> shapes, long seed) {
    LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
    int index = 0;
    for (Value in : graph.inputs()) {
      ValueType.TensorType type = in.tensorType();
      if (type == null) {
        throw new ConvoyException(
            "input '" + in.name() + "' is not a tensor of known type (" + in.type()
                + "): cannot make a seeded input for it");
      }
      long[] dims = shapeOf(in.name(), type.shape(), shapes.get(in.name()));
      SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + index++);
      out.put(in.name(), values(in.name(), type.dtype(), dims, rng));
    }
    return out;
  }

  private static long[] shapeOf(String name, Shape declared, long[] given) {
    if (given != null) {
      if (declared.hasRank() && declared.rank() != given.length) {
        throw new ConvoyException(
            "input '" + name + "': given shape " + Shape.toString(given) + " has rank "
                + given.length + " but the model declares " + declared);
      }
      return given.clone();
    }
    if (!declared.isStatic()) {
      String dim = declared.hasRank()
          ? declared.dims().stream().filter(d -> !d.isStatic()).map(Dim::toString).findFirst().orElse("?")
          : "rank";
      throw new ConvoyException(
          "input '" + name + "' has shape " + declared + " with dynamic " + dim
              + ": give its shape (oracle args or --input-shape " + name + "=...)");
    }
    return declared.sizes();
  }

  private static Tensor values(String name, DType dtype, long[] dims, SplittableRandom rng) {
    long count = Tensor.numElements(dims);
    if (count * Math.max(1, dtype.byteSize()) > Integer.MAX_VALUE) {
      throw new ConvoyException("input '" + name + "' of shape " + Shape.toString(dims) + " is too large");
    }
    int n = (int) count;
    if (dtype.isFloatingPoint()) {
      double lo = dims.length == 4 ? 0 : -1;
      ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        float v = (float) (lo + rng.nextDouble() * (1 - lo));
        switch (dtype) {
          case FLOAT -> b.putFloat(v);
          case DOUBLE -> b.putDouble(v);
          case FLOAT16 -> b.putShort(HalfFloats.fromFloat(v));
          default -> b.putShort(HalfFloats.bfloat16FromFloat(v));
        }
      }
      b.flip();
      return Tensor.of(dtype, dims, b);
    }
    if (dtype == DType.BOOL) {
      boolean[] v = new boolean[n];
      for (int i = 0; i < n; i++) {
        v[i] = rng.nextBoolean();
      }
      return Tensor.ofBools(dims, v);
    }
    if (!dtype.isInteger()) {
      throw new ConvoyException(
          "input '" + name + "' has element type " + dtype.textName() + ", for which there is no seeded-input rule");
    }
    String lower = name.toLowerCase(Locale.ROOT);
    ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      long v;
      if (lower.contains("mask")) {
        v = 1;
      } else if (lower.contains("token_type")) {
        v = 0;
      } else if (lower.equals("sr")) {
        v = 16000;
      } else if (lower.contains("ids") || lower.contains("token")) {
        v = rng.nextInt(1000);
      } else {
        v = rng.nextInt(4);
      }
      switch (dtype.byteSize()) {
        case 1 -> b.put((byte) v);
        case 2 -> b.putShort((short) v);
        case 4 -> b.putInt((int) v);
        default -> b.putLong(v);
      }
    }
    b.flip();
    return Tensor.of(dtype, dims, b);
  }
}

package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import java.util.Arrays;
import java.util.Set;

/**
 * What {@code move-dequantize-linear} and {@code move-quantize-linear} share: the data-movement
 * ops a QuantizeLinear or DequantizeLinear crosses exactly, whether ONNX has the op for integers
 * at the model's opset, and where a per-axis quantization's axis lands on the other side of the
 * op. Per tensor, (de)quantization is one monotone map applied to every element, so it commutes
 * with moving, picking and taking maxima of elements; per axis it commutes only where every
 * element stays in its slice of that axis, which {@link #outputAxis} decides.
 */
final class QuantizedMoves {
  /** Ops that only move, pick or compare elements of their first input. */
  static final Set<String> OPS = Set.of("Reshape", "Flatten", "Transpose", "Squeeze",
      "Unsqueeze", "Slice", "Gather", "MaxPool", "Pad", "Concat");

  /** Ops whose input can be a QDQ group's operand (or a quantization that then cancels). */
  static final Set<String> GROUPS = Set.of("QuantizeLinear", "DequantizeLinear", "MatMul",
      "Conv", "Gemm", "GlobalAveragePool");

  private QuantizedMoves() {}

  /** Whether {@code n} is a default-domain op of {@code ops}. */
  static boolean isOneOf(Node n, Set<String> ops) {
    return n != null && n.domain().isEmpty() && ops.contains(n.opType());
  }

  /** Why {@code op} cannot run on {@code type} values at the model's opset, or null. */
  static String unsupported(Node op, DType type) {
    long opset = op.graph().opsetVersion("");
    switch (op.opType()) {
      case "Flatten" -> {
        return opset < 9 ? "Flatten takes integers from opset 9" : null;
      }
      case "Concat" -> {
        return opset < 4 ? "Concat takes integers from opset 4" : null;
      }
      case "Pad" -> {
        return opset < 11 ? "Pad takes integers from opset 11" : null;
      }
      case "MaxPool" -> {
        if (opset < 12 || !(type == DType.INT8 || type == DType.UINT8)) {
          return "MaxPool takes 8-bit integers from opset 12";
        }
        return op.outputCount() > 1 && op.output(1) != null && op.output(1).hasUses()
            ? "MaxPool " + op.name() + " has its indices read" : null;
      }
      default -> {
        return null;
      }
    }
  }

  /**
   * The axis of {@code op}'s output that axis {@code axis} of its first input becomes when every
   * element keeps its coordinate along it, or -1 when the op mixes, drops, cuts or reshapes that
   * axis (or its parameters are not constant).
   */
  static int outputAxis(Node op, int axis) {
    int rank = Facts.rank(op.input(0));
    if (rank < 0 || axis < 0 || axis >= rank) {
      return -1;
    }
    return switch (op.opType()) {
      case "Transpose" -> {
        long[] perm = op.intsAttr("perm");
        for (int i = 0; i < rank; i++) {
          if ((perm == null ? rank - 1 - i : perm[i]) == axis) {
            yield i;
          }
        }
        yield -1;
      }
      case "Squeeze" -> {
        long[] raw = MovableOps.axes(op, "axes", 1);
        long[] axes = raw == null ? null : Facts.normalizeAxes(raw, rank);
        if (axes == null || Arrays.stream(axes).anyMatch(a -> a == axis)) {
          yield -1;
        }
        yield axis - (int) Arrays.stream(axes).filter(a -> a < axis).count();
      }
      case "Unsqueeze" -> {
        long[] raw = MovableOps.axes(op, "axes", 1);
        long[] axes = raw == null ? null : Facts.normalizeAxes(raw, rank + raw.length);
        if (axes == null) {
          yield -1;
        }
        int kept = -1;
        for (int j = 0; j < rank + axes.length; j++) {
          final int at = j;
          if (Arrays.stream(axes).noneMatch(a -> a == at) && ++kept == axis) {
            yield j;
          }
        }
        yield -1;
      }
      case "Slice" -> {
        long[] axes = sliceAxes(op, rank);
        yield axes == null || Arrays.stream(axes).anyMatch(a -> a == axis) ? -1 : axis;
      }
      case "Gather" -> {
        long g = op.intAttr("axis", 0);
        g = g < 0 ? g + rank : g;
        int indices = Facts.rank(op.input(1));
        yield axis == g || indices < 0 ? -1 : axis < g ? axis : axis + indices - 1;
      }
      case "Concat" -> {
        long c = op.intAttr("axis", 0);
        yield (c < 0 ? c + rank : c) == axis ? -1 : axis;
      }
      case "MaxPool" -> axis <= 1 ? axis : -1;
      default -> -1;
    };
  }

  /** The (normalized) axes a Slice cuts, or null when they are not constant. */
  private static long[] sliceAxes(Node slice, int rank) {
    boolean attrs = slice.graph().opsetVersion("") < 10;
    long[] starts = attrs ? slice.intsAttr("starts") : Facts.constLongs(slice.input(1));
    if (starts == null) {
      return null;
    }
    Value axesInput = attrs || slice.inputCount() <= 3 ? null : slice.input(3);
    long[] axes = attrs ? slice.intsAttr("axes")
        : axesInput == null ? null : Facts.constLongs(axesInput);
    if (axes == null && (attrs || axesInput == null)) {
      axes = new long[starts.length];
      Arrays.setAll(axes, i -> i);
    }
    return axes == null ? null : Facts.normalizeAxes(axes, rank);
  }

  /** A scalar of 8- or 16-bit integer {@code type} holding {@code v} (in its range). */
  static Tensor scalar(DType type, long v) {
    int width = type == DType.INT8 || type == DType.UINT8 ? 1 : 2;
    byte[] b = new byte[width];
    for (int i = 0; i < width; i++) {
      b[i] = (byte) (v >> (8 * i));
    }
    return Tensor.ofBytes(type, new long[0], b);
  }

  /** The axis attribute of a (de)quantization, normalized against its input's rank, or -1. */
  static int quantAxis(Node qdq) {
    int rank = Facts.rank(qdq.input(0));
    long a = qdq.intAttr("axis", 1);
    a = a < 0 ? a + rank : a;
    return rank < 0 || a < 0 || a >= rank ? -1 : (int) a;
  }
}

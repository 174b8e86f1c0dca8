package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import java.util.Map;

/**
 * The ops and element types ONNX Runtime 1.28 loads at some default-domain opsets and refuses at
 * others (ORT_NOT_IMPLEMENTED), so that converting a model it loads to another opset would write
 * one it refuses. Its CPU provider has no float64 kernel for these activations and runs them by
 * inlining the op's ONNX function body, which ONNX accepts only at the opsets where the ops that
 * body calls have the versions it was written against: float64 LeakyRelu and PRelu only at 16-18;
 * float64 Elu, Selu, HardSigmoid, Softsign, Softplus, ThresholdedRelu, HardSwish and Mish only at
 * 18; Swish (float32, float16, float64) only at 24. Measured one node at a time at every opset from
 * 13 to {@value OpsetConverter#MAX_TARGET} ({@code OrtOpsetWindowsTest} keeps the table true);
 * every other op and type the converter handles loads at all opsets where it loads at one.
 */
final class OrtOpsetWindows {
  /** The opsets, {@code first} to {@code last}, at which ONNX Runtime loads one op and type. */
  record Window(int first, int last) {
    boolean contains(long opset) {
      return opset >= first && opset <= last;
    }
  }

  private static final Window FUNCTION_16_TO_18 = new Window(16, 18);
  private static final Window FUNCTION_AT_18 = new Window(18, 18);
  private static final Window SWISH = new Window(24, 24);

  /** Op type to element type of its first input to the opsets ONNX Runtime loads it at. */
  static final Map<String, Map<DType, Window>> WINDOWS = Map.ofEntries(
      Map.entry("LeakyRelu", Map.of(DType.DOUBLE, FUNCTION_16_TO_18)),
      Map.entry("PRelu", Map.of(DType.DOUBLE, FUNCTION_16_TO_18)),
      Map.entry("Elu", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("Selu", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("HardSigmoid", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("Softsign", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("Softplus", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("ThresholdedRelu", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("HardSwish", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("Mish", Map.of(DType.DOUBLE, FUNCTION_AT_18)),
      Map.entry("Swish", Map.of(DType.FLOAT, SWISH, DType.FLOAT16, SWISH, DType.DOUBLE, SWISH)));

  private OrtOpsetWindows() {}

  /** The window of {@code op} on {@code dtype} data, or null when it has none. */
  static Window window(String op, DType dtype) {
    return WINDOWS.getOrDefault(op, Map.of()).get(dtype);
  }

  /**
   * Refuses converting {@code top} from opset {@code from} to {@code target} when a default-domain
   * node that ONNX Runtime loads at {@code from} would not load at {@code target}.
   */
  static void requireLoadableAt(Graph top, long from, int target) {
    top.forEachNode(n -> {
      if (!OpCatalog.normalizeDomain(n.domain()).isEmpty() || n.inputs().isEmpty()) {
        return;
      }
      DType t = dtype(n.input(0));
      Window w = t == null ? null : window(n.opType(), t);
      if (w != null && w.contains(from) && !w.contains(target)) {
        throw new OrtOpsetGapException(n, t, from, target, w.first(), w.last());
      }
    });
  }

  private static DType dtype(Value v) {
    return v == null || v.tensorType() == null ? null : v.tensorType().dtype();
  }
}

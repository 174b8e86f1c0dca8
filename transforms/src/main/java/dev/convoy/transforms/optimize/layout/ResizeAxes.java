package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A Resize on permuted data: nearest, linear and cubic resizing map each output index from its
 * own axis alone (the interpolations are separable), so {@code Resize(Transpose(x, p))} is {@code
 * Transpose(Resize'(x), p)} where Resize' has its per-axis roi, scales and sizes permuted the same
 * way. Only constant per-axis inputs of the input's full rank, no {@code axes} attribute and no
 * antialiasing qualify. ONNX Runtime runs the channels-last forms too ({@code NhwcCoverageTest}
 * checks the exported model there for nearest, linear and cubic).
 */
final class ResizeAxes {
  /** The modes that resample each axis on its own (linear and cubic are separable). */
  private static final Set<String> MODES = Set.of("nearest", "linear", "cubic");

  private ResizeAxes() {}

  /**
   * The constant inputs of {@code n} (by index) rewritten for its data input permuted by {@code
   * p} (the new axis i is the old axis {@code p[i]}), or null when {@code n} cannot move.
   */
  static Map<Integer, Tensor> permuted(Node n, long[] p) {
    if (!MODES.contains(n.stringAttr("mode", "nearest")) || n.intsAttr("axes") != null
        || n.intAttr("antialias", 0) != 0) {
      return null;
    }
    int rank = p.length;
    Map<Integer, Tensor> out = new HashMap<>();
    boolean old = n.graph().opsetVersion("") < 11;
    for (int i = 1; i < n.inputCount(); i++) {
      Value v = n.input(i);
      if (v == null) {
        continue;
      }
      Tensor t = v.constant();
      if (t == null || t.rank() != 1) {
        return null;
      }
      long len = t.dims()[0];
      boolean roi = !old && i == 1;
      if (len == 0) {
        continue;
      }
      if (len != (roi ? 2L * rank : rank)) {
        return null;
      }
      Tensor moved = permute(t, p, roi ? 2 : 1);
      if (moved == null) {
        return null;
      }
      out.put(i, moved);
    }
    return out;
  }

  /** {@code t}'s {@code halves} runs of per-axis values, each reordered to {@code p}. */
  private static Tensor permute(Tensor t, long[] p, int halves) {
    int r = p.length;
    if (t.dtype() == DType.INT64) {
      long[] v = t.toLongArray();
      long[] m = new long[v.length];
      for (int h = 0; h < halves; h++) {
        for (int i = 0; i < r; i++) {
          m[h * r + i] = v[h * r + (int) p[i]];
        }
      }
      return Tensor.ofLongs(t.dims(), m);
    }
    if (t.dtype() == DType.FLOAT) {
      float[] v = t.toFloatArray();
      float[] m = new float[v.length];
      for (int h = 0; h < halves; h++) {
        for (int i = 0; i < r; i++) {
          m[h * r + i] = v[h * r + (int) p[i]];
        }
      }
      return Tensor.ofFloats(t.dims(), m);
    }
    return null;
  }
}

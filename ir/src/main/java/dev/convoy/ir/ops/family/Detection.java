package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.List;

/**
 * Detection post-processing: NonMaxSuppression, greedy per (batch, class) in descending score
 * order (ties: lower box index first), a box suppressed when its IoU with a kept box exceeds
 * {@code iou_threshold}; boxes with a non-positive area never suppress or get suppressed, as in
 * ONNX Runtime. Output rows are {@code (batch, class, box)} in batch, class, selection order.
 */
public final class Detection implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("NonMaxSuppression", 10).inputs(2, 5).attr("center_point_box", 0L)
        .shape(ctx -> ShapeFns.tensor(DType.INT64, Shape.of(Dim.UNKNOWN, Dim.of(3))))
        .kernel(ctx -> one(nms(ctx)));
  }

  private static NdArray nms(KernelContext ctx) {
    NdArray boxesIn = ctx.tensor(0);
    NdArray scoresIn = ctx.tensor(1);
    if (!boxesIn.dtype().isFloatingPoint() || !scoresIn.dtype().isFloatingPoint()) {
      throw new UnsupportedOpException(ctx.where() + ": boxes and scores must be float");
    }
    if (boxesIn.rank() != 3 || boxesIn.dim(2) != 4) {
      throw ctx.error("boxes must have shape [batches, boxes, 4], has " + boxesIn.shape());
    }
    int batches = (int) boxesIn.dim(0);
    int count = (int) boxesIn.dim(1);
    if (scoresIn.rank() != 3 || scoresIn.dim(0) != batches || scoresIn.dim(2) != count) {
      throw ctx.error("scores must have shape [" + batches + ", classes, " + count + "], has "
          + scoresIn.shape());
    }
    int classes = (int) scoresIn.dim(1);
    long maxPerClass = ctx.scalarLong(2, 0);
    double iouThreshold = ctx.scalarDouble(3, 0);
    boolean hasScoreThreshold = ctx.hasInput(4);
    double scoreThreshold = ctx.scalarDouble(4, 0);
    boolean center = ctx.attrLong("center_point_box") != 0;
    double[] b = boxesIn.toDoubles();
    double[] s = scoresIn.toDoubles();
    // Corners as [ymin, xmin, ymax, xmax] per box.
    double[] c = new double[b.length];
    for (int i = 0; i < b.length; i += 4) {
      if (center) {
        double xc = b[i];
        double yc = b[i + 1];
        double w = b[i + 2];
        double h = b[i + 3];
        c[i] = yc - h / 2;
        c[i + 1] = xc - w / 2;
        c[i + 2] = yc + h / 2;
        c[i + 3] = xc + w / 2;
      } else {
        c[i] = Math.min(b[i], b[i + 2]);
        c[i + 1] = Math.min(b[i + 1], b[i + 3]);
        c[i + 2] = Math.max(b[i], b[i + 2]);
        c[i + 3] = Math.max(b[i + 1], b[i + 3]);
      }
    }
    List<long[]> selected = new ArrayList<>();
    for (int n = 0; n < batches && maxPerClass > 0; n++) {
      for (int k = 0; k < classes; k++) {
        int sBase = (n * classes + k) * count;
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          if (!hasScoreThreshold || s[sBase + i] > scoreThreshold) {
            candidates.add(i);
          }
        }
        candidates.sort((x, y) -> {
          int byScore = Double.compare(s[sBase + y], s[sBase + x]);
          return byScore != 0 ? byScore : Integer.compare(x, y);
        });
        List<Integer> kept = new ArrayList<>();
        for (int i : candidates) {
          if (kept.size() >= maxPerClass) {
            break;
          }
          boolean suppressed = false;
          for (int j : kept) {
            if (iou(c, (n * count + i) * 4, (n * count + j) * 4) > iouThreshold) {
              suppressed = true;
              break;
            }
          }
          if (!suppressed) {
            kept.add(i);
            selected.add(new long[] {n, k, i});
          }
        }
      }
    }
    long[] out = new long[selected.size() * 3];
    for (int i = 0; i < selected.size(); i++) {
      System.arraycopy(selected.get(i), 0, out, i * 3, 3);
    }
    return NdArray.wrap(DType.INT64, new long[] {selected.size(), 3}, out);
  }

  /** IoU of two corner boxes; 0 when either has no area or they do not overlap. */
  private static double iou(double[] c, int a, int b) {
    double ymin = Math.max(c[a], c[b]);
    double xmin = Math.max(c[a + 1], c[b + 1]);
    double ymax = Math.min(c[a + 2], c[b + 2]);
    double xmax = Math.min(c[a + 3], c[b + 3]);
    if (ymin >= ymax || xmin >= xmax) {
      return 0;
    }
    double areaA = (c[a + 2] - c[a]) * (c[a + 3] - c[a + 1]);
    double areaB = (c[b + 2] - c[b]) * (c[b + 3] - c[b + 1]);
    if (areaA <= 0 || areaB <= 0) {
      return 0;
    }
    double inter = (ymax - ymin) * (xmax - xmin);
    double union = areaA + areaB - inter;
    return union <= 0 ? 0 : inter / union;
  }
}

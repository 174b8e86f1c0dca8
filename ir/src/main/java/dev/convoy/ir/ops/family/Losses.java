package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Classification losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12 and
 * 13, which only widen types). Inputs are {@code [N, C, d1..dk]} with integer targets {@code [N,
 * d1..dk]}, optional per-class weights, {@code ignore_index} and {@code none}/{@code sum}/{@code
 * mean} reduction; the weighted mean divides by the summed weights of the targets not ignored.
 */
public final class Losses implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    for (int since : new int[] {12, 13}) {
      r.op("NegativeLogLikelihoodLoss", since).inputs(2, 3).optionalAttr("ignore_index")
          .attr("reduction", "mean").shape(ctx -> lossShape(ctx, false))
          .kernel(ctx -> {
            NdArray x = ctx.tensor(0);
            PerElement loss = nll(ctx, x.toDoubles(), x.dims());
            return Kernels.one(reduce(ctx, x, loss));
          });
      r.op("SoftmaxCrossEntropyLoss", since).inputs(2, 3).outputs(1, 2)
          .optionalAttr("ignore_index").attr("reduction", "mean")
          .shape(ctx -> lossShape(ctx, true))
          .kernel(ctx -> {
            NdArray x = ctx.tensor(0);
            double[] logProb = logSoftmaxOverClasses(x);
            PerElement loss = nll(ctx, logProb, x.dims());
            List<RuntimeValue> out = new ArrayList<>();
            out.add(reduce(ctx, x, loss));
            if (ctx.outputCount() > 1) {
              out.add(ctx.hasOutput(1) ? NdArray.fromDoubles(x.dtype(), x.dims(), logProb) : null);
            }
            return out;
          });
    }
  }

  private static List<ValueType> lossShape(InferenceContext ctx, boolean withLogProb) {
    if (ctx.dtype(0) == null) {
      return null;
    }
    Shape out = ctx.attrString("reduction").equals("none") ? ctx.shape(1) : Shape.scalar();
    List<ValueType> types = new ArrayList<>();
    types.add(new ValueType.TensorType(ctx.dtype(0), out));
    if (withLogProb && ctx.outputCount() > 1) {
      types.add(new ValueType.TensorType(ctx.dtype(0), ctx.shape(0)));
    }
    return types;
  }

  /** log(softmax(x)) along axis 1 of {@code [N, C, d...]}. */
  private static double[] logSoftmaxOverClasses(NdArray x) {
    double[] v = x.toDoubles();
    double[] out = new double[v.length];
    int n = (int) x.dim(0);
    int c = x.rank() > 1 ? (int) x.dim(1) : 1;
    int inner = n * c == 0 ? 0 : v.length / (n * c);
    for (int b = 0; b < n; b++) {
      for (int d = 0; d < inner; d++) {
        int base = b * c * inner + d;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
          max = Math.max(max, v[base + k * inner]);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
          sum += Math.exp(v[base + k * inner] - max);
        }
        double log = Math.log(sum) + max;
        for (int k = 0; k < c; k++) {
          out[base + k * inner] = v[base + k * inner] - log;
        }
      }
    }
    return out;
  }

  /** Per target element: the loss and the weight it counts with in a mean (0 where ignored). */
  private record PerElement(double[] loss, double[] weight) {}

  /** Per-element loss {@code -w[t] * logp[n, t, d]}, 0 where the target is ignored. */
  private static PerElement nll(KernelContext ctx, double[] logp, long[] dims) {
    if (!ctx.tensor(0).dtype().isFloatingPoint()) {
      throw new UnsupportedOpException(ctx.where() + ": input of type "
          + ctx.tensor(0).dtype().textName() + " is not supported");
    }
    if (dims.length < 2) {
      throw ctx.error("input must be [N, C, d1..dk], is " + Shape.toString(dims));
    }
    NdArray target = ctx.tensor(1);
    if (!target.dtype().isInteger()) {
      throw ctx.error("target must be an integer tensor, is " + target.describe());
    }
    int n = (int) dims[0];
    int c = (int) dims[1];
    int inner = n * c == 0 ? 0 : logp.length / (n * c);
    if (target.size() != n * inner) {
      throw ctx.error("target " + target.describe() + " does not match input "
          + Shape.toString(dims));
    }
    double[] classWeights = ctx.hasInput(2) ? ctx.tensor(2).toDoubles() : null;
    if (classWeights != null && classWeights.length != c) {
      throw ctx.error("weight must hold " + c + " class weights, has " + classWeights.length);
    }
    Long ignore = ctx.hasAttr("ignore_index") ? ctx.attrLong("ignore_index") : null;
    long[] t = target.toLongs();
    double[] loss = new double[t.length];
    double[] w = new double[t.length];
    for (int b = 0; b < n; b++) {
      for (int d = 0; d < inner; d++) {
        int i = b * inner + d;
        long cls = t[i];
        if (ignore != null && cls == ignore) {
          continue;
        }
        if (cls < 0 || cls >= c) {
          throw ctx.error("target " + cls + " is not a class index in [0, " + c + ")");
        }
        w[i] = classWeights == null ? 1 : classWeights[(int) cls];
        loss[i] = -logp[(b * c + (int) cls) * inner + d] * w[i];
      }
    }
    return new PerElement(loss, w);
  }

  private static NdArray reduce(KernelContext ctx, NdArray x, PerElement e) {
    double[] loss = e.loss();
    double[] w = e.weight();
    String reduction = ctx.attrString("reduction");
    long[] targetDims = ctx.tensor(1).dims();
    return switch (reduction) {
      case "none" -> NdArray.fromDoubles(x.dtype(), targetDims, loss);
      case "sum", "mean" -> {
        double sum = 0;
        double weight = 0;
        for (int i = 0; i < loss.length; i++) {
          sum += loss[i];
          weight += w[i];
        }
        double v = reduction.equals("sum") ? sum : sum / weight;
        yield NdArray.fromDoubles(x.dtype(), new long[0], new double[] {v});
      }
      default -> throw ctx.error("reduction must be none, sum or mean, is '" + reduction + "'");
    };
  }
}

package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.List;

/**
 * Channels-last normalizations of the {@code convoy} domain, which the {@code cvy} target's layout
 * pass writes, on {@code [N, H, W, C]} with per-channel {@code [C]} parameters: {@code
 * NhwcBatchNormalization} (inference mode: X, scale, B, mean, var; {@code epsilon}) and {@code
 * NhwcInstanceNormalization} (X, scale, B; {@code epsilon}; mean and variance of each image's
 * channel over its H*W pixels). Each computes what the standard op computes on the transposed
 * data, with {@link Normalization}'s double-precision formulas in its order of summation, so the
 * two agree exactly; here a pixel's channels are contiguous, so every loop runs along C. Float32.
 */
public final class NhwcNorm implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    String d = OpCatalog.CONVOY_DOMAIN;
    r.op(d, "NhwcBatchNormalization", 1).inputs(5).attr("epsilon", 1e-5f)
        .shape(NhwcNorm::shape).kernel(ctx -> Kernels.one(batchNorm(ctx)));
    r.op(d, "NhwcInstanceNormalization", 1).inputs(3).attr("epsilon", 1e-5f)
        .shape(NhwcNorm::shape).kernel(ctx -> Kernels.one(instanceNorm(ctx)));
  }

  private static List<ValueType> shape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (s.hasRank() && s.rank() != 4) {
      throw ctx.contradiction("input must be [N, H, W, C], got " + s);
    }
    return ShapeFns.sameAsInput(0).infer(ctx);
  }

  /** The input, float32 [N, H, W, C], with every other input of C elements. */
  private static NdArray input(KernelContext ctx) {
    NdArray x = NhwcPooling.input(ctx);
    long c = x.dims()[3];
    for (int i = 1; i < ctx.inputCount(); i++) {
      if (ctx.tensor(i).size() != c) {
        throw ctx.error("input " + i + " must have " + c + " elements, is "
            + ctx.tensor(i).describe());
      }
    }
    return x;
  }

  private static NdArray batchNorm(KernelContext ctx) {
    NdArray x = input(ctx);
    int c = (int) x.dims()[3];
    double[] scale = ctx.tensor(1).toDoubles();
    double[] bias = ctx.tensor(2).toDoubles();
    double[] mean = ctx.tensor(3).toDoubles();
    double[] var = ctx.tensor(4).toDoubles();
    double eps = ctx.attrFloat("epsilon");
    double[] k = new double[c];
    double[] b = new double[c];
    for (int ch = 0; ch < c; ch++) {
      k[ch] = scale[ch] / Math.sqrt(var[ch] + eps);
      b[ch] = bias[ch] - mean[ch] * k[ch];
    }
    NdArray result = ctx.output(0, DType.FLOAT, x.dims());
    float[] xs = (float[]) x.array();
    float[] y = (float[]) result.array();
    int x0 = x.offset();
    int y0 = result.offset();
    int pixels = (int) (x.size() / Math.max(c, 1));
    ctx.parallel().forRange(pixels, c, (from, to) -> {
      for (int p = from; p < to; p++) {
        int xo = x0 + p * c;
        int yo = y0 + p * c;
        for (int ch = 0; ch < c; ch++) {
          y[yo + ch] = (float) (xs[xo + ch] * k[ch] + b[ch]);
        }
      }
    });
    return result;
  }

  private static NdArray instanceNorm(KernelContext ctx) {
    NdArray x = input(ctx);
    long[] d = x.dims();
    int n = (int) d[0];
    int hw = (int) (d[1] * d[2]);
    int c = (int) d[3];
    double[] scale = ctx.tensor(1).toDoubles();
    double[] bias = ctx.tensor(2).toDoubles();
    double eps = ctx.attrFloat("epsilon");
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    // Each image's statistics are taken before it is written: the output may be x's own place.
    NdArray result = ctx.output(0, DType.FLOAT, d);
    float[] y = (float[]) result.array();
    int y0 = result.offset();
    double[] sum = new double[c];
    double[] sq = new double[c];
    for (int img = 0; img < n; img++) {
      int base = img * hw * c;
      java.util.Arrays.fill(sum, 0);
      java.util.Arrays.fill(sq, 0);
      for (int p = 0; p < hw; p++) {
        int o = x0 + base + p * c;
        for (int ch = 0; ch < c; ch++) {
          sum[ch] += xs[o + ch];
        }
      }
      double[] mu = new double[c];
      for (int ch = 0; ch < c; ch++) {
        mu[ch] = sum[ch] / hw;
      }
      for (int p = 0; p < hw; p++) {
        int o = x0 + base + p * c;
        for (int ch = 0; ch < c; ch++) {
          double dv = xs[o + ch] - mu[ch];
          sq[ch] += dv * dv;
        }
      }
      double[] inv = new double[c];
      for (int ch = 0; ch < c; ch++) {
        inv[ch] = 1 / Math.sqrt(sq[ch] / hw + eps);
      }
      for (int p = 0; p < hw; p++) {
        int o = base + p * c;
        for (int ch = 0; ch < c; ch++) {
          y[y0 + o + ch] = (float) ((xs[x0 + o + ch] - mu[ch]) * inv[ch] * scale[ch]
              + bias[ch]);
        }
      }
    }
    return result;
  }
}

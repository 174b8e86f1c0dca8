package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Training-time ops: Dropout (inference form, and training form only where its answer is
 * determined: ratio 0; random masks are refused, never guessed) and the optimizers of domain
 * {@code ai.onnx.preview.training} (Adagrad, Momentum with standard and Nesterov updates, Adam),
 * which update any number of tensors {@code X_i} from gradients {@code G_i} and their state.
 */
public final class Training implements OpFamily {
  private static final String TRAINING = "ai.onnx.preview.training";

  @Override
  public void register(OpRegistrar r) {
    // Dropout 7: inference only, mask of the data type; 10: bool mask; 12: ratio and
    // training_mode became inputs.
    r.op("Dropout", 7).outputs(1, 2).attr("ratio", 0.5f)
        .shape(ctx -> dropoutShape(ctx, ctx.dtype(0)))
        .kernel(ctx -> dropout(ctx, ctx.tensor(0).dtype(), false, 0));
    r.op("Dropout", 10).outputs(1, 2).attr("ratio", 0.5f)
        .shape(ctx -> dropoutShape(ctx, DType.BOOL))
        .kernel(ctx -> dropout(ctx, DType.BOOL, false, 0));
    r.op("Dropout", 12).inputs(1, 3).outputs(1, 2).optionalAttr("seed")
        .shape(ctx -> dropoutShape(ctx, DType.BOOL))
        .kernel(ctx -> {
          boolean training = ctx.hasInput(2) && ctx.tensor(2).getLong(0) != 0;
          double ratio = ctx.scalarDouble(1, 0.5);
          return dropout(ctx, DType.BOOL, training, ratio);
        });
    r.op(TRAINING, "Adagrad", 1).variadicInputs(5).outputs(2, Integer.MAX_VALUE)
        .attr("decay_factor", 0.0f).attr("epsilon", 1e-6f).attr("norm_coefficient", 0.0f)
        .shape(ctx -> optimizerShape(ctx, 3))
        .kernel(Training::adagrad);
    r.op(TRAINING, "Momentum", 1).variadicInputs(5).outputs(2, Integer.MAX_VALUE)
        .requiredAttr("alpha").requiredAttr("beta").requiredAttr("mode")
        .requiredAttr("norm_coefficient")
        .shape(ctx -> optimizerShape(ctx, 3))
        .kernel(Training::momentum);
    r.op(TRAINING, "Adam", 1).variadicInputs(6).outputs(3, Integer.MAX_VALUE)
        .attr("alpha", 0.9f).attr("beta", 0.999f).attr("epsilon", 1e-6f)
        .attr("norm_coefficient", 0.0f).attr("norm_coefficient_post", 0.0f)
        .shape(ctx -> optimizerShape(ctx, 4))
        .kernel(Training::adam);
  }

  // ---- Dropout ----

  private static List<ValueType> dropoutShape(InferenceContext ctx, DType maskType) {
    List<ValueType> out = new ArrayList<>();
    if (ctx.inputType(0) == null) {
      return null;
    }
    out.add(ctx.inputType(0));
    if (ctx.outputCount() > 1) {
      out.add(new ValueType.TensorType(maskType, ctx.shape(0)));
    }
    return out;
  }

  private static List<RuntimeValue> dropout(KernelContext ctx, DType maskType, boolean training,
      double ratio) {
    NdArray x = ctx.tensor(0);
    if (training && ratio != 0) {
      throw new UnsupportedOpException(ctx.where() + ": Dropout in training mode with ratio "
          + ratio + " draws a random mask; Convoy only evaluates deterministic ops");
    }
    List<RuntimeValue> out = new ArrayList<>();
    out.add(x);
    if (ctx.outputCount() > 1 && ctx.hasOutput(1)) {
      double[] ones = new double[x.size()];
      Arrays.fill(ones, 1);
      out.add(NdArray.fromDoubles(maskType, x.dims(), ones));
    }
    return out;
  }

  // ---- optimizers ----

  /** Outputs: {@code groups - 1} updated tensors per X_i (X, then each state), typed like X_i. */
  private static List<ValueType> optimizerShape(InferenceContext ctx, int groups) {
    int n = (ctx.inputCount() - 2) / groups;
    List<ValueType> out = new ArrayList<>();
    for (int g = 0; g < groups - 1; g++) {
      for (int i = 0; i < n; i++) {
        int src = g == 0 ? 2 + i : 2 + (g + 1) * n + i;
        out.add(ctx.inputType(src));
      }
    }
    return out.subList(0, Math.min(out.size(), ctx.outputCount()));
  }

  /** The number of optimized tensors, checking the input count is 2 + groups * n. */
  private static int tensorCount(KernelContext ctx, int groups) {
    int rest = ctx.inputCount() - 2;
    if (rest <= 0 || rest % groups != 0) {
      throw ctx.error("expects R, T and " + groups + " equally long groups of tensors, got "
          + ctx.inputCount() + " inputs");
    }
    return rest / groups;
  }

  private static double[] data(KernelContext ctx, int i, int size) {
    NdArray a = ctx.tensor(i);
    if (!a.dtype().isFloatingPoint() || a.size() != size) {
      throw ctx.error("input " + i + " must be a float tensor of " + size + " elements, is "
          + a.describe());
    }
    return a.toDoubles();
  }

  private static NdArray like(NdArray x, double[] v) {
    return NdArray.fromDoubles(x.dtype(), x.dims(), v);
  }

  private static List<RuntimeValue> adagrad(KernelContext ctx) {
    int n = tensorCount(ctx, 3);
    double rate = ctx.scalarDouble(0, 0);
    long step = ctx.scalarLong(1, 0);
    double decay = ctx.attrFloat("decay_factor");
    double eps = ctx.attrFloat("epsilon");
    double norm = ctx.attrFloat("norm_coefficient");
    double r = rate / (1 + step * decay);
    List<RuntimeValue> xs = new ArrayList<>();
    List<RuntimeValue> hs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      NdArray xa = ctx.tensor(2 + i);
      double[] x = data(ctx, 2 + i, xa.size());
      double[] g = data(ctx, 2 + n + i, xa.size());
      double[] h = data(ctx, 2 + 2 * n + i, xa.size());
      double[] xNew = new double[x.length];
      double[] hNew = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        double gr = norm * x[j] + g[j];
        hNew[j] = h[j] + gr * gr;
        xNew[j] = x[j] - r * gr / (Math.sqrt(hNew[j]) + eps);
      }
      xs.add(like(xa, xNew));
      hs.add(like(xa, hNew));
    }
    xs.addAll(hs);
    return xs;
  }

  private static List<RuntimeValue> momentum(KernelContext ctx) {
    int n = tensorCount(ctx, 3);
    double rate = ctx.scalarDouble(0, 0);
    long step = ctx.scalarLong(1, 0);
    double alpha = ctx.attrFloat("alpha");
    double beta = step > 0 ? ctx.attrFloat("beta") : 1;
    double norm = ctx.attrFloat("norm_coefficient");
    boolean nesterov = switch (ctx.attrString("mode")) {
      case "standard" -> false;
      case "nesterov" -> true;
      default -> throw ctx.error("mode must be 'standard' or 'nesterov'");
    };
    List<RuntimeValue> xs = new ArrayList<>();
    List<RuntimeValue> vs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      NdArray xa = ctx.tensor(2 + i);
      double[] x = data(ctx, 2 + i, xa.size());
      double[] g = data(ctx, 2 + n + i, xa.size());
      double[] v = data(ctx, 2 + 2 * n + i, xa.size());
      double[] xNew = new double[x.length];
      double[] vNew = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        double gr = norm * x[j] + g[j];
        vNew[j] = alpha * v[j] + beta * gr;
        xNew[j] = x[j] - rate * (nesterov ? gr + alpha * vNew[j] : vNew[j]);
      }
      xs.add(like(xa, xNew));
      vs.add(like(xa, vNew));
    }
    xs.addAll(vs);
    return xs;
  }

  private static List<RuntimeValue> adam(KernelContext ctx) {
    int n = tensorCount(ctx, 4);
    double rate = ctx.scalarDouble(0, 0);
    long step = ctx.scalarLong(1, 0);
    double alpha = ctx.attrFloat("alpha");
    double beta = ctx.attrFloat("beta");
    double eps = ctx.attrFloat("epsilon");
    double norm = ctx.attrFloat("norm_coefficient");
    double post = ctx.attrFloat("norm_coefficient_post");
    double r = step > 0
        ? rate * Math.sqrt(1 - Math.pow(beta, step)) / (1 - Math.pow(alpha, step)) : rate;
    List<RuntimeValue> xs = new ArrayList<>();
    List<RuntimeValue> vs = new ArrayList<>();
    List<RuntimeValue> hs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      NdArray xa = ctx.tensor(2 + i);
      double[] x = data(ctx, 2 + i, xa.size());
      double[] g = data(ctx, 2 + n + i, xa.size());
      double[] v = data(ctx, 2 + 2 * n + i, xa.size());
      double[] h = data(ctx, 2 + 3 * n + i, xa.size());
      double[] xNew = new double[x.length];
      double[] vNew = new double[x.length];
      double[] hNew = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        double gr = norm * x[j] + g[j];
        vNew[j] = alpha * v[j] + (1 - alpha) * gr;
        hNew[j] = beta * h[j] + (1 - beta) * gr * gr;
        xNew[j] = (1 - post) * (x[j] - r * vNew[j] / (Math.sqrt(hNew[j]) + eps));
      }
      xs.add(like(xa, xNew));
      vs.add(like(xa, vNew));
      hs.add(like(xa, hNew));
    }
    xs.addAll(vs);
    xs.addAll(hs);
    return xs;
  }
}

package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType.TensorType;
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
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * Recurrent nets: LSTM, GRU and RNN with directions forward, reverse and bidirectional, both
 * layouts (time-major 0, batch-major 1), per-batch {@code sequence_lens}, initial states, LSTM
 * peepholes and input_forget, GRU {@code linear_before_reset}, custom activations with their
 * alpha/beta, and {@code clip} on gate pre-activations. Gate orders follow ONNX: LSTM {@code
 * iofc}, GRU {@code zrh}.
 *
 * <p>The input projection {@code X * W^T + Wb} runs once for all time steps; each step then
 * adds {@code H * R^T + Rb} per batch row. Math runs in double.
 */
public final class Recurrent implements OpFamily {

  private enum Cell {
    RNN(1, 1, "Tanh"),
    GRU(3, 2, "Sigmoid", "Tanh"),
    LSTM(4, 3, "Sigmoid", "Tanh", "Tanh");

    final int gates;
    final int activations;
    final String[] defaults;

    Cell(int gates, int activations, String... defaults) {
      this.gates = gates;
      this.activations = activations;
      this.defaults = defaults;
    }
  }

  @Override
  public void register(OpRegistrar r) {
    for (Cell cell : Cell.values()) {
      int maxInputs = cell == Cell.LSTM ? 8 : 6;
      int maxOutputs = cell == Cell.LSTM ? 3 : 2;
      var b = r.op(cell.name(), 1).inputs(3, maxInputs).outputs(0, maxOutputs)
          .optionalAttr("activation_alpha").optionalAttr("activation_beta")
          .optionalAttr("activations").optionalAttr("clip").attr("direction", "forward")
          .optionalAttr("hidden_size").attr("layout", 0L)
          .shape(ctx -> shapes(ctx, cell)).kernel(ctx -> run(ctx, cell));
      if (cell == Cell.LSTM) {
        b.attr("input_forget", 0L);
      }
      if (cell == Cell.GRU) {
        b.attr("linear_before_reset", 0L);
      }
    }
  }

  // ---- shapes ----

  private static List<ValueType> shapes(InferenceContext ctx, Cell cell) {
    DType dt = ctx.dtype(0);
    if (dt == null) {
      return null;
    }
    boolean batchMajor = ctx.attrLong("layout") != 0;
    int dirs = ctx.attrString("direction").equals("bidirectional") ? 2 : 1;
    Shape x = ctx.shape(0);
    Dim seq = Dim.UNKNOWN;
    Dim batch = Dim.UNKNOWN;
    if (x.hasRank() && x.rank() == 3) {
      seq = x.dim(batchMajor ? 1 : 0);
      batch = x.dim(batchMajor ? 0 : 1);
    }
    Dim hidden = Dim.UNKNOWN;
    if (ctx.hasAttr("hidden_size")) {
      hidden = Dim.of(ctx.attrLong("hidden_size"));
    } else if (ctx.shape(2).hasRank() && ctx.shape(2).rank() == 3) {
      hidden = ctx.shape(2).dim(2);
    }
    Dim d = Dim.of(dirs);
    Shape y = batchMajor ? Shape.of(batch, seq, d, hidden) : Shape.of(seq, d, batch, hidden);
    Shape state = batchMajor ? Shape.of(batch, d, hidden) : Shape.of(d, batch, hidden);
    List<ValueType> out = new ArrayList<>();
    out.add(new TensorType(dt, y));
    out.add(new TensorType(dt, state));
    if (cell == Cell.LSTM) {
      out.add(new TensorType(dt, state));
    }
    return out;
  }

  // ---- kernel ----

  private static List<RuntimeValue> run(KernelContext ctx, Cell cell) {
    NdArray xIn = ctx.tensor(0);
    DType dt = xIn.dtype();
    if (!dt.isFloatingPoint()) {
      throw ctx.unsupportedType(dt);
    }
    if (xIn.rank() != 3) {
      throw ctx.error("X must have rank 3, has shape " + xIn.shape());
    }
    boolean batchMajor = ctx.attrLong("layout") != 0;
    String direction = ctx.attrString("direction");
    int dirs = switch (direction) {
      case "forward", "reverse" -> 1;
      case "bidirectional" -> 2;
      default -> throw ctx.error("direction must be forward, reverse or bidirectional, is '"
          + direction + "'");
    };
    int seq = (int) xIn.dim(batchMajor ? 1 : 0);
    int batch = (int) xIn.dim(batchMajor ? 0 : 1);
    int inSize = (int) xIn.dim(2);
    NdArray w = ctx.tensor(1);
    NdArray rw = ctx.tensor(2);
    int hidden = ctx.hasAttr("hidden_size") ? ctx.attrInt("hidden_size") : (int) rw.dim(2);
    int g = cell.gates;
    requireDims(ctx, "W", w, dirs, (long) g * hidden, inSize);
    requireDims(ctx, "R", rw, dirs, (long) g * hidden, hidden);
    double[] x = timeMajor(xIn.toDoubles(), batchMajor, seq, batch, inSize);
    NdArray bias = ctx.optionalTensor(3);
    if (bias != null) {
      requireDims(ctx, "B", bias, dirs, 2L * g * hidden);
    }
    double[] bv = bias == null ? new double[dirs * 2 * g * hidden] : bias.toDoubles();
    long[] lens = ctx.longs(4);
    int[] seqLens = new int[batch];
    for (int b = 0; b < batch; b++) {
      seqLens[b] = lens == null ? seq : (int) lens[b];
      if (seqLens[b] < 0 || seqLens[b] > seq) {
        throw ctx.error("sequence_lens[" + b + "] = " + seqLens[b] + " is outside [0, " + seq
            + "]");
      }
    }
    double[] h0 = state(ctx, 5, batchMajor, dirs, batch, hidden);
    double[] c0 = cell == Cell.LSTM ? state(ctx, 6, batchMajor, dirs, batch, hidden) : null;
    double[] peep = null;
    if (cell == Cell.LSTM && ctx.hasInput(7)) {
      NdArray p = ctx.tensor(7);
      requireDims(ctx, "P", p, dirs, 3L * hidden);
      peep = p.toDoubles();
    }
    DoubleUnaryOperator[] act = activations(ctx, cell, dirs);
    double clip = ctx.hasAttr("clip") ? ctx.attrFloat("clip") : Double.POSITIVE_INFINITY;
    boolean linearBeforeReset = cell == Cell.GRU && ctx.attrLong("linear_before_reset") != 0;
    boolean inputForget = cell == Cell.LSTM && ctx.attrLong("input_forget") != 0;

    double[] y = new double[seq * dirs * batch * hidden];
    double[] yh = new double[dirs * batch * hidden];
    double[] yc = new double[dirs * batch * hidden];
    int gh = g * hidden;
    for (int d = 0; d < dirs; d++) {
      boolean reverse = direction.equals("reverse") || d == 1;
      // X * W^T + Wb for every (t, b) row at once, as axpy updates over W^T's rows so the
      // inner loop is zero-based (C2 vectorizes it); each sum still starts at the bias and adds
      // in k order, as a dot product would.
      double[] xw = new double[seq * batch * gh];
      int wOff = d * gh * inSize;
      int bOff = d * 2 * gh;
      double[][] wt = transposedForm(ctx, 1, w, wOff, 0, gh, inSize);
      double[] acc = new double[gh];
      for (int row = 0; row < seq * batch; row++) {
        System.arraycopy(bv, bOff, acc, 0, gh);
        int xr = row * inSize;
        for (int k = 0; k < inSize; k++) {
          axpy(x[xr + k], wt[k], acc);
        }
        System.arraycopy(acc, 0, xw, row * gh, gh);
      }
      int rOff = d * gh * hidden;
      int rbOff = bOff + gh;
      // R^T per block of gate rows the cell multiplies by one vector.
      double[][] rAll = cell == Cell.GRU ? null : transposedForm(ctx, 2, rw, rOff, 0, gh, hidden);
      double[][] rZr = cell == Cell.GRU ? transposedForm(ctx, 2, rw, rOff, 0, 2 * hidden, hidden)
          : null;
      double[][] rH = cell == Cell.GRU
          ? transposedForm(ctx, 2, rw, rOff, 2 * hidden, hidden, hidden) : null;
      double[] rbAll = Arrays.copyOfRange(bv, rbOff, rbOff + gh);
      double[] rbZr = cell == Cell.GRU ? Arrays.copyOfRange(bv, rbOff, rbOff + 2 * hidden) : null;
      double[] rbH = cell == Cell.GRU ? Arrays.copyOfRange(bv, rbOff + 2 * hidden, rbOff + gh)
          : null;
      DoubleUnaryOperator f = act[d * cell.activations];
      DoubleUnaryOperator gAct = cell.activations > 1 ? act[d * cell.activations + 1] : null;
      DoubleUnaryOperator hAct = cell.activations > 2 ? act[d * cell.activations + 2] : null;
      double[] gates = new double[gh];
      double[] tmp = new double[hidden];
      for (int b = 0; b < batch; b++) {
        double[] h = Arrays.copyOfRange(h0, (d * batch + b) * hidden, (d * batch + b + 1) * hidden);
        double[] c = c0 == null ? null
            : Arrays.copyOfRange(c0, (d * batch + b) * hidden, (d * batch + b + 1) * hidden);
        int len = seqLens[b];
        for (int s = 0; s < len; s++) {
          int t = reverse ? len - 1 - s : s;
          int xwRow = (t * batch + b) * gh;
          switch (cell) {
            case RNN -> {
              recurrent(rAll, rbAll, h, gates);
              for (int j = 0; j < hidden; j++) {
                h[j] = f.applyAsDouble(clip(xw[xwRow + j] + gates[j], clip));
              }
            }
            case GRU -> {
              // z and r use H directly.
              recurrent(rZr, rbZr, h, gates);
              double[] z = new double[hidden];
              double[] rg = new double[hidden];
              for (int j = 0; j < hidden; j++) {
                z[j] = f.applyAsDouble(clip(xw[xwRow + j] + gates[j], clip));
                rg[j] = f.applyAsDouble(clip(xw[xwRow + hidden + j] + gates[hidden + j], clip));
              }
              if (linearBeforeReset) {
                recurrent(rH, rbH, h, tmp);
                for (int j = 0; j < hidden; j++) {
                  tmp[j] *= rg[j];
                }
              } else {
                double[] rh = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                  rh[j] = rg[j] * h[j];
                }
                recurrent(rH, rbH, rh, tmp);
              }
              for (int j = 0; j < hidden; j++) {
                double cand = gAct.applyAsDouble(clip(xw[xwRow + 2 * hidden + j] + tmp[j], clip));
                h[j] = (1 - z[j]) * cand + z[j] * h[j];
              }
            }
            case LSTM -> {
              recurrent(rAll, rbAll, h, gates);
              int pOff = d * 3 * hidden;
              for (int j = 0; j < hidden; j++) {
                double pi = peep == null ? 0 : peep[pOff + j];
                double po = peep == null ? 0 : peep[pOff + hidden + j];
                double pf = peep == null ? 0 : peep[pOff + 2 * hidden + j];
                double ig = f.applyAsDouble(clip(xw[xwRow + j] + gates[j] + pi * c[j], clip));
                double fg = inputForget ? 1 - ig : f.applyAsDouble(
                    clip(xw[xwRow + 2 * hidden + j] + gates[2 * hidden + j] + pf * c[j], clip));
                double cand = gAct.applyAsDouble(
                    clip(xw[xwRow + 3 * hidden + j] + gates[3 * hidden + j], clip));
                c[j] = fg * c[j] + ig * cand;
                double og = f.applyAsDouble(
                    clip(xw[xwRow + hidden + j] + gates[hidden + j] + po * c[j], clip));
                h[j] = og * hAct.applyAsDouble(c[j]);
              }
            }
            default -> throw new IllegalStateException();
          }
          System.arraycopy(h, 0, y, ((t * dirs + d) * batch + b) * hidden, hidden);
        }
        System.arraycopy(h, 0, yh, (d * batch + b) * hidden, hidden);
        if (c != null) {
          System.arraycopy(c, 0, yc, (d * batch + b) * hidden, hidden);
        }
      }
    }
    List<RuntimeValue> out = new ArrayList<>();
    long[] yDims = batchMajor ? new long[] {batch, seq, dirs, hidden}
        : new long[] {seq, dirs, batch, hidden};
    long[] stateDims = batchMajor ? new long[] {batch, dirs, hidden}
        : new long[] {dirs, batch, hidden};
    out.add(NdArray.fromDoubles(dt, yDims,
        batchMajor ? permute(y, new int[] {seq, dirs, batch, hidden}, new int[] {2, 0, 1, 3}) : y));
    out.add(NdArray.fromDoubles(dt, stateDims,
        batchMajor ? permute(yh, new int[] {dirs, batch, hidden}, new int[] {1, 0, 2}) : yh));
    if (cell == Cell.LSTM) {
      out.add(NdArray.fromDoubles(dt, stateDims,
          batchMajor ? permute(yc, new int[] {dirs, batch, hidden}, new int[] {1, 0, 2}) : yc));
    }
    return out;
  }

  private static double clip(double v, double clip) {
    return v < -clip ? -clip : (v > clip ? clip : v);
  }

  /**
   * {@code out[j] = Rb[j] + sum_k R^T[k][j] * h[k]} for the first {@code bias.length} entries
   * of out, accumulated from the bias in k order.
   */
  private static void recurrent(double[][] rt, double[] bias, double[] h, double[] out) {
    System.arraycopy(bias, 0, out, 0, bias.length);
    for (int k = 0; k < rt.length; k++) {
      axpy(h[k], rt[k], out);
    }
  }

  /** {@code y[j] += a * x[j]} over x's length (zero-based, so C2 vectorizes it). */
  private static void axpy(double a, double[] x, double[] y) {
    for (int j = 0; j < x.length; j++) {
      y[j] += a * x[j];
    }
  }

  /**
   * {@link #transposed} of input {@code i} ({@code a}) in double, made once and kept when the
   * input is a weight: converting and transposing W and R on every call cost more than a short
   * sequence's steps (silero's LSTM runs one step per call).
   */
  private static double[][] transposedForm(KernelContext ctx, int i, NdArray a, int off,
      int rowStart, int rows, int cols) {
    return ctx.weightForm(i, a.array(),
        new TransposedRows(a.offset(), a.size(), off, rowStart, rows, cols),
        () -> transposed(a.toDoubles(), off, rowStart, rows, cols));
  }

  /**
   * The key of a {@link #transposedForm}: where the tensor lies in its storage and which rows of
   * which matrix of it, by value.
   */
  private record TransposedRows(int at, int size, int off, int rowStart, int rows, int cols) {}

  /**
   * The transpose of rows {@code [rowStart, rowStart + rows)} of the row-major {@code ? x cols}
   * matrix at {@code off}, as {@code cols} separate rows of length {@code rows}.
   */
  private static double[][] transposed(double[] v, int off, int rowStart, int rows, int cols) {
    double[][] t = new double[cols][rows];
    for (int j = 0; j < rows; j++) {
      int base = off + (rowStart + j) * cols;
      for (int k = 0; k < cols; k++) {
        t[k][j] = v[base + k];
      }
    }
    return t;
  }

  private static void requireDims(KernelContext ctx, String name, NdArray a, long... want) {
    if (!Arrays.equals(a.dims(), want)) {
      throw ctx.error(name + " must have shape " + Shape.toString(want) + ", has "
          + a.shape());
    }
  }

  /** An initial state input as {@code [dirs, batch, hidden]}, zeros when omitted. */
  private static double[] state(KernelContext ctx, int input, boolean batchMajor, int dirs,
      int batch, int hidden) {
    NdArray s = ctx.optionalTensor(input);
    if (s == null) {
      return new double[dirs * batch * hidden];
    }
    if (batchMajor) {
      requireDims(ctx, input == 5 ? "initial_h" : "initial_c", s, batch, dirs, hidden);
      return permute(s.toDoubles(), new int[] {batch, dirs, hidden}, new int[] {1, 0, 2});
    }
    requireDims(ctx, input == 5 ? "initial_h" : "initial_c", s, dirs, batch, hidden);
    return s.toDoubles();
  }

  /** X as {@code [seq, batch, input]}. */
  private static double[] timeMajor(double[] x, boolean batchMajor, int seq, int batch, int in) {
    return batchMajor ? permute(x, new int[] {batch, seq, in}, new int[] {1, 0, 2}) : x;
  }

  /** A transpose of a dense row-major array: output axis i is input axis {@code perm[i]}. */
  private static double[] permute(double[] v, int[] dims, int[] perm) {
    int rank = dims.length;
    int[] inStrides = new int[rank];
    int acc = 1;
    for (int i = rank - 1; i >= 0; i--) {
      inStrides[i] = acc;
      acc *= dims[i];
    }
    int[] outDims = new int[rank];
    int[] steps = new int[rank];
    for (int i = 0; i < rank; i++) {
      outDims[i] = dims[perm[i]];
      steps[i] = inStrides[perm[i]];
    }
    double[] out = new double[v.length];
    int[] idx = new int[rank];
    for (int o = 0; o < out.length; o++) {
      int src = 0;
      for (int i = 0; i < rank; i++) {
        src += idx[i] * steps[i];
      }
      out[o] = v[src];
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < outDims[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return out;
  }

  // ---- activations ----

  private static DoubleUnaryOperator[] activations(KernelContext ctx, Cell cell, int dirs) {
    int n = cell.activations * dirs;
    List<String> names = ctx.attrStrings("activations");
    if (names == null) {
      names = new ArrayList<>();
      for (int d = 0; d < dirs; d++) {
        names.addAll(List.of(cell.defaults));
      }
    }
    if (names.size() != n) {
      throw ctx.error("activations lists " + names.size() + " functions, expected " + n);
    }
    float[] alphas = ctx.attrFloats("activation_alpha");
    float[] betas = ctx.attrFloats("activation_beta");
    int ai = 0;
    int bi = 0;
    DoubleUnaryOperator[] out = new DoubleUnaryOperator[n];
    for (int i = 0; i < n; i++) {
      String name = names.get(i).toLowerCase(Locale.ROOT);
      boolean usesAlpha = switch (name) {
        case "affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu" -> true;
        default -> false;
      };
      boolean usesBeta = switch (name) {
        case "affine", "scaledtanh", "hardsigmoid" -> true;
        default -> false;
      };
      double alpha = switch (name) {
        case "leakyrelu" -> 0.01;
        case "hardsigmoid" -> 0.2;
        default -> 1.0;
      };
      double beta = name.equals("hardsigmoid") ? 0.5 : 0.0;
      if (usesAlpha && alphas != null && ai < alphas.length) {
        alpha = alphas[ai++];
      }
      if (usesBeta && betas != null && bi < betas.length) {
        beta = betas[bi++];
      }
      double a = alpha;
      double b = beta;
      out[i] = switch (name) {
        case "relu" -> v -> Math.max(v, 0);
        case "tanh" -> Math::tanh;
        case "sigmoid" -> v -> 1 / (1 + Math.exp(-v));
        case "affine" -> v -> a * v + b;
        case "leakyrelu" -> v -> v >= 0 ? v : a * v;
        case "thresholdedrelu" -> v -> v > a ? v : 0;
        case "scaledtanh" -> v -> a * Math.tanh(b * v);
        case "hardsigmoid" -> v -> Math.max(0, Math.min(1, a * v + b));
        case "elu" -> v -> v >= 0 ? v : a * (Math.exp(v) - 1);
        case "softsign" -> v -> v / (1 + Math.abs(v));
        case "softplus" -> v -> Math.log1p(Math.exp(v));
        default -> throw new UnsupportedOpException(ctx.where() + ": activation '"
            + names.get(i) + "' is not supported");
      };
    }
    return out;
  }
}

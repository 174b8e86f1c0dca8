package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tensor algebra that is neither elementwise nor a reduction: CumSum, CumProd, Einsum (general
 * equations with ellipsis, diagonals and broadcasting), Trilu, EyeLike, ReverseSequence and Det.
 * Float math runs in double and is rounded once to the element type.
 */
public final class TensorMisc implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("CumSum", 11).inputs(2).attr("exclusive", 0L).attr("reverse", 0L)
        .shape(ShapeFns.sameAsInput(0)).kernel(ctx -> one(cumulative(ctx, false)));
    r.op("CumProd", 26).inputs(2).attr("exclusive", 0L).attr("reverse", 0L)
        .shape(ShapeFns.sameAsInput(0)).kernel(ctx -> one(cumulative(ctx, true)));
    r.op("Einsum", 12).variadicInputs(1).requiredAttr("equation")
        .shape(TensorMisc::einsumShape).kernel(ctx -> one(einsum(ctx)));
    r.op("Trilu", 14).inputs(1, 2).attr("upper", 1L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(trilu(ctx)));
    r.op("EyeLike", 9).optionalAttr("dtype").attr("k", 0L).shape(ctx -> ShapeFns.tensor(
            ctx.hasAttr("dtype") ? DType.fromOnnx(ctx.attrInt("dtype")) : ctx.dtype(0),
            ctx.shape(0)))
        .kernel(ctx -> one(eyeLike(ctx)));
    r.op("ReverseSequence", 10).inputs(2).attr("batch_axis", 1L).attr("time_axis", 0L)
        .shape(ShapeFns.sameAsInput(0)).kernel(ctx -> one(reverseSequence(ctx)));
    r.op("Det", 11).shape(ctx -> {
      Shape s = ctx.shape(0);
      if (!s.hasRank()) {
        return ShapeFns.tensor(ctx.dtype(0), s);
      }
      if (s.rank() < 2) {
        throw ctx.contradiction("Det needs rank >= 2, input has shape " + s);
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(s.dims().subList(0, s.rank() - 2)));
    }).kernel(ctx -> one(det(ctx, ctx.tensor(0))));
  }

  // ---- CumSum, CumProd ----

  private static NdArray cumulative(KernelContext ctx, boolean product) {
    NdArray x = ctx.tensor(0);
    NdArray axisArr = ctx.tensor(1);
    if (axisArr.size() != 1 || !axisArr.dtype().isInteger()) {
      throw ctx.error("axis must be one integer, is " + axisArr.describe());
    }
    int axis = ctx.axis(axisArr.getLong(0), x.rank());
    boolean exclusive = ctx.attrLong("exclusive") != 0;
    boolean reverse = ctx.attrLong("reverse") != 0;
    long[] dims = x.dims();
    int len = (int) dims[axis];
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int outer = len == 0 || inner == 0 ? 0 : x.size() / (len * inner);
    if (x.dtype().isFloatingPoint()) {
      double[] v = x.toDoubles();
      double[] o = new double[v.length];
      double start = product ? 1 : 0;
      for (int b = 0; b < outer; b++) {
        for (int i = 0; i < inner; i++) {
          double acc = start;
          for (int s = 0; s < len; s++) {
            int j = reverse ? len - 1 - s : s;
            int at = (b * len + j) * inner + i;
            if (exclusive) {
              o[at] = acc;
              acc = product ? acc * v[at] : acc + v[at];
            } else {
              acc = product ? acc * v[at] : acc + v[at];
              o[at] = acc;
            }
          }
        }
      }
      return NdArray.fromDoubles(x.dtype(), dims, o);
    }
    if (!x.dtype().isInteger()) {
      throw ctx.unsupportedType(x.dtype());
    }
    long[] v = x.toLongs();
    long[] o = new long[v.length];
    long start = product ? 1 : 0;
    for (int b = 0; b < outer; b++) {
      for (int i = 0; i < inner; i++) {
        long acc = start;
        for (int s = 0; s < len; s++) {
          int j = reverse ? len - 1 - s : s;
          int at = (b * len + j) * inner + i;
          if (exclusive) {
            o[at] = acc;
            acc = product ? acc * v[at] : acc + v[at];
          } else {
            acc = product ? acc * v[at] : acc + v[at];
            o[at] = acc;
          }
        }
      }
    }
    return NdArray.fromLongs(x.dtype(), dims, o);
  }

  // ---- Einsum ----

  /**
   * A parsed equation: per input its labels (ellipsis dims become labels '0'..'9' aligned from
   * the right, as numpy broadcasts them) and the output labels.
   */
  private record Equation(List<char[]> inputs, char[] output) {}

  private static Equation parse(NodeContext ctx, String equation, int[] ranks) {
    String eq = equation.replace(" ", "");
    String lhs = eq.contains("->") ? eq.substring(0, eq.indexOf("->")) : eq;
    String rhs = eq.contains("->") ? eq.substring(eq.indexOf("->") + 2) : null;
    String[] terms = lhs.split(",", -1);
    if (terms.length != ranks.length) {
      throw ctx.error("equation '" + equation + "' names " + terms.length + " operands but the"
          + " node has " + ranks.length + " inputs");
    }
    int ellipsisRank = 0;
    for (int i = 0; i < terms.length; i++) {
      if (terms[i].contains("...")) {
        ellipsisRank = Math.max(ellipsisRank, ranks[i] - (terms[i].length() - 3));
      }
    }
    List<char[]> inputs = new ArrayList<>();
    for (int i = 0; i < terms.length; i++) {
      char[] labels = expand(ctx, terms[i], ranks[i], ellipsisRank, equation);
      if (labels.length != ranks[i]) {
        throw ctx.error("term '" + terms[i] + "' of '" + equation + "' does not fit an operand"
            + " of rank " + ranks[i]);
      }
      inputs.add(labels);
    }
    char[] out;
    if (rhs != null) {
      out = expand(ctx, rhs, -1, ellipsisRank, equation);
    } else {
      Map<Character, Integer> uses = new LinkedHashMap<>();
      for (char[] in : inputs) {
        for (char c : in) {
          uses.merge(c, 1, Integer::sum);
        }
      }
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < ellipsisRank; k++) {
        sb.append(ellipsisLabel(k, ellipsisRank));
      }
      TreeSet<Character> once = new TreeSet<>();
      uses.forEach((c, n) -> {
        if (n == 1 && Character.isLetter(c)) {
          once.add(c);
        }
      });
      once.forEach(sb::append);
      out = sb.toString().toCharArray();
    }
    return new Equation(inputs, out);
  }

  /** Ellipsis dim {@code k} of {@code n}, named so right-aligned dims share a label. */
  private static char ellipsisLabel(int k, int n) {
    return (char) ('0' + (n - 1 - k));
  }

  private static char[] expand(NodeContext ctx, String term, int rank, int ellipsisRank,
      String equation) {
    int at = term.indexOf("...");
    if (at < 0) {
      for (char c : term.toCharArray()) {
        if (!Character.isLetter(c)) {
          throw ctx.error("equation '" + equation + "' has an invalid label '" + c + "'");
        }
      }
      return term.toCharArray();
    }
    int own = rank < 0 ? ellipsisRank : rank - (term.length() - 3);
    StringBuilder sb = new StringBuilder(term.substring(0, at));
    for (int k = ellipsisRank - own; k < ellipsisRank; k++) {
      sb.append(ellipsisLabel(k, ellipsisRank));
    }
    sb.append(term.substring(at + 3));
    return sb.toString().toCharArray();
  }

  private static List<ValueType> einsumShape(InferenceContext ctx) {
    int n = ctx.inputCount();
    int[] ranks = new int[n];
    for (int i = 0; i < n; i++) {
      Shape s = ctx.shape(i);
      if (!s.hasRank()) {
        return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
      }
      ranks[i] = s.rank();
    }
    Equation eq = parse(ctx, ctx.attrString("equation"), ranks);
    Map<Character, Dim> sizes = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      char[] labels = eq.inputs().get(i);
      for (int k = 0; k < labels.length; k++) {
        Dim d = ctx.shape(i).dim(k);
        Dim prior = sizes.get(labels[k]);
        if (prior == null || (prior.isStatic() && prior.size() == 1)) {
          sizes.put(labels[k], d);
        } else if (!(d.isStatic() && d.size() == 1)) {
          sizes.put(labels[k], Layout.mergeDim(ctx, prior, d));
        }
      }
    }
    List<Dim> out = new ArrayList<>();
    for (char c : eq.output()) {
      Dim d = sizes.get(c);
      if (d == null) {
        throw ctx.contradiction("output label '" + c + "' appears in no input");
      }
      out.add(d);
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray einsum(KernelContext ctx) {
    int n = ctx.inputCount();
    int[] ranks = new int[n];
    NdArray[] xs = new NdArray[n];
    for (int i = 0; i < n; i++) {
      xs[i] = ctx.tensor(i);
      ranks[i] = xs[i].rank();
      if (xs[i].dtype() != xs[0].dtype()) {
        throw ctx.error("inputs have element types " + xs[0].dtype().textName() + " and "
            + xs[i].dtype().textName());
      }
    }
    Equation eq = parse(ctx, ctx.attrString("equation"), ranks);
    // Every label with its size; output labels first, contracted ones after.
    Map<Character, Long> sizes = new LinkedHashMap<>();
    for (char c : eq.output()) {
      sizes.put(c, null);
    }
    for (int i = 0; i < n; i++) {
      char[] labels = eq.inputs().get(i);
      for (int k = 0; k < labels.length; k++) {
        long d = xs[i].dim(k);
        Long prior = sizes.get(labels[k]);
        if (prior == null || prior == 1) {
          sizes.put(labels[k], d);
        } else if (d != 1 && d != prior) {
          throw ctx.error("label '" + labels[k] + "' has sizes " + prior + " and " + d);
        }
      }
    }
    List<Character> all = new ArrayList<>(sizes.keySet());
    int labels = all.size();
    long[] extent = new long[labels];
    for (int l = 0; l < labels; l++) {
      Long s = sizes.get(all.get(l));
      if (s == null) {
        throw ctx.error("output label '" + all.get(l) + "' appears in no input");
      }
      extent[l] = s;
    }
    // Per input, the element stride each label moves by (summed for repeated labels, which
    // walks the diagonal; zero where the operand broadcasts).
    int[][] stride = new int[n][labels];
    for (int i = 0; i < n; i++) {
      char[] lab = eq.inputs().get(i);
      int[] st = Strided.strides(xs[i].dims());
      for (int k = 0; k < lab.length; k++) {
        if (xs[i].dim(k) != 1) {
          stride[i][all.indexOf(lab[k])] += st[k];
        }
      }
    }
    int outLabels = eq.output().length;
    long[] outDims = new long[outLabels];
    System.arraycopy(extent, 0, outDims, 0, outLabels);
    int outSize = NdArray.checkedSize(outDims);
    boolean floats = xs[0].dtype().isFloatingPoint();
    double[][] dv = new double[n][];
    long[][] lv = new long[n][];
    for (int i = 0; i < n; i++) {
      if (floats) {
        dv[i] = xs[i].toDoubles();
      } else {
        lv[i] = xs[i].toLongs();
      }
    }
    double[] dOut = floats ? new double[outSize] : null;
    long[] lOut = floats ? null : new long[outSize];
    for (long e : extent) {
      if (e == 0) {
        return floats ? NdArray.fromDoubles(xs[0].dtype(), outDims, dOut)
            : NdArray.fromLongs(xs[0].dtype(), outDims, lOut);
      }
    }
    if (labels == 0) {
      double p = 1;
      long q = 1;
      for (int i = 0; i < n; i++) {
        if (floats) {
          p *= dv[i][0];
        } else {
          q *= lv[i][0];
        }
      }
      return floats ? NdArray.fromDoubles(xs[0].dtype(), outDims, new double[] {p})
          : NdArray.fromLongs(xs[0].dtype(), outDims, new long[] {q});
    }
    long[] counter = new long[labels];
    int[] offset = new int[n];
    int[] off = new int[n];
    int outPos = 0;
    int last = labels - 1;
    // With no contracted label the innermost label is an output label: each step of it is
    // its own output element; otherwise the innermost loop sums into one element.
    boolean innerIsOutput = last < outLabels;
    while (true) {
      int len = (int) extent[last];
      System.arraycopy(offset, 0, off, 0, n);
      if (floats) {
        double acc = 0;
        for (int j = 0; j < len; j++) {
          double p = 1;
          for (int i = 0; i < n; i++) {
            p *= dv[i][off[i]];
            off[i] += stride[i][last];
          }
          if (innerIsOutput) {
            dOut[outPos + j] += p;
          } else {
            acc += p;
          }
        }
        if (!innerIsOutput) {
          dOut[outPos] += acc;
        }
      } else {
        long acc = 0;
        for (int j = 0; j < len; j++) {
          long p = 1;
          for (int i = 0; i < n; i++) {
            p *= lv[i][off[i]];
            off[i] += stride[i][last];
          }
          if (innerIsOutput) {
            lOut[outPos + j] += p;
          } else {
            acc += p;
          }
        }
        if (!innerIsOutput) {
          lOut[outPos] += acc;
        }
      }
      int k = last - 1;
      while (k >= 0) {
        counter[k]++;
        for (int i = 0; i < n; i++) {
          offset[i] += stride[i][k];
        }
        if (counter[k] < extent[k]) {
          break;
        }
        for (int i = 0; i < n; i++) {
          offset[i] -= (int) (stride[i][k] * extent[k]);
        }
        counter[k] = 0;
        k--;
      }
      if (k < 0) {
        break;
      }
      outPos = 0;
      for (int l = 0; l < outLabels; l++) {
        outPos = (int) (outPos * extent[l] + (l == last ? 0 : counter[l]));
      }
    }
    return floats ? NdArray.fromDoubles(xs[0].dtype(), outDims, dOut)
        : NdArray.fromLongs(xs[0].dtype(), outDims, lOut);
  }

  // ---- Trilu, EyeLike ----

  private static NdArray trilu(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    if (x.rank() < 2) {
      throw ctx.error("input must have rank >= 2, has shape " + x.shape());
    }
    long k = ctx.scalarLong(1, 0);
    boolean upper = ctx.attrLong("upper") != 0;
    int rows = (int) x.dim(x.rank() - 2);
    int cols = (int) x.dim(x.rank() - 1);
    NdArray out = NdArray.allocate(x.dtype(), x.dims());
    int mats = rows * cols == 0 ? 0 : x.size() / (rows * cols);
    for (int m = 0; m < mats; m++) {
      for (int i = 0; i < rows; i++) {
        // Keep columns j with j - i >= k (upper) or j - i <= k (lower).
        long from = upper ? Math.max(0, i + k) : 0;
        long to = upper ? cols : Math.min(cols, i + k + 1);
        if (from < to) {
          int base = (m * rows + i) * cols;
          System.arraycopy(x.data(), base + (int) from, out.data(), base + (int) from,
              (int) (to - from));
        }
      }
    }
    return out;
  }

  private static NdArray eyeLike(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    if (x.rank() != 2) {
      throw ctx.error("input must be 2-D, has shape " + x.shape());
    }
    DType t = ctx.hasAttr("dtype") ? DType.fromOnnx(ctx.attrInt("dtype")) : x.dtype();
    long k = ctx.attrLong("k");
    NdArray out = NdArray.allocate(t, x.dims());
    long rows = x.dim(0);
    long cols = x.dim(1);
    for (long i = 0; i < rows; i++) {
      long j = i + k;
      if (j >= 0 && j < cols) {
        out.setDouble((int) (i * cols + j), 1);
      }
    }
    return out;
  }

  // ---- ReverseSequence ----

  private static NdArray reverseSequence(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    long[] lens = ctx.longs(1);
    if (x.rank() < 2) {
      throw ctx.error("input must have rank >= 2, has shape " + x.shape());
    }
    int batchAxis = ctx.axis(ctx.attrLong("batch_axis"), x.rank());
    int timeAxis = ctx.axis(ctx.attrLong("time_axis"), x.rank());
    if (batchAxis == timeAxis || (batchAxis > 1 || timeAxis > 1)) {
      throw ctx.error("batch_axis and time_axis must be 0 and 1 in some order");
    }
    long batch = x.dim(batchAxis);
    long time = x.dim(timeAxis);
    if (lens.length != batch) {
      throw ctx.error("sequence_lens has " + lens.length + " entries for batch " + batch);
    }
    int[] st = Strided.strides(x.dims());
    int inner = x.rank() > 2 ? st[1] : 1;
    NdArray out = NdArray.allocate(x.dtype(), x.dims());
    for (int b = 0; b < batch; b++) {
      long len = lens[b];
      if (len < 0 || len > time) {
        throw ctx.error("sequence length " + len + " is outside [0, " + time + "]");
      }
      for (int t = 0; t < time; t++) {
        int from = t < len ? (int) (len - 1 - t) : t;
        int dst = b * st[batchAxis] + t * st[timeAxis];
        int src = b * st[batchAxis] + from * st[timeAxis];
        System.arraycopy(x.data(), src, out.data(), dst, inner);
      }
    }
    return out;
  }

  // ---- Det ----

  private static NdArray det(KernelContext ctx, NdArray x) {
    if (!x.dtype().isFloatingPoint()) {
      throw ctx.error("Det needs a float tensor, got " + x.describe());
    }
    int r = x.rank();
    if (r < 2 || x.dim(r - 1) != x.dim(r - 2)) {
      throw ctx.error("Det needs square matrices, input has shape " + x.shape());
    }
    int m = (int) x.dim(r - 1);
    long[] outDims = new long[r - 2];
    System.arraycopy(x.dims(), 0, outDims, 0, r - 2);
    int count = NdArray.checkedSize(outDims);
    double[] v = x.toDoubles();
    double[] out = new double[count];
    double[] a = new double[m * m];
    for (int b = 0; b < count; b++) {
      System.arraycopy(v, b * m * m, a, 0, m * m);
      out[b] = luDeterminant(a, m);
    }
    return NdArray.fromDoubles(x.dtype(), outDims, out);
  }

  /** Determinant by LU decomposition with partial pivoting (overwrites {@code a}). */
  private static double luDeterminant(double[] a, int m) {
    double det = 1;
    for (int c = 0; c < m; c++) {
      int pivot = c;
      for (int i = c + 1; i < m; i++) {
        if (Math.abs(a[i * m + c]) > Math.abs(a[pivot * m + c])) {
          pivot = i;
        }
      }
      if (a[pivot * m + c] == 0) {
        return 0;
      }
      if (pivot != c) {
        for (int j = 0; j < m; j++) {
          double t = a[c * m + j];
          a[c * m + j] = a[pivot * m + j];
          a[pivot * m + j] = t;
        }
        det = -det;
      }
      double p = a[c * m + c];
      det *= p;
      for (int i = c + 1; i < m; i++) {
        double f = a[i * m + c] / p;
        for (int j = c; j < m; j++) {
          a[i * m + j] -= f * a[c * m + j];
        }
      }
    }
    return det;
  }
}

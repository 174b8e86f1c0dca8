package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.OptionalType;
import dev.convoy.ir.graph.ValueType.SequenceType;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Control flow: If, Loop and Scan (opset 8 with its batch axis and sequence_lens, and opset 9+
 * with per-input axes and directions). Bodies run through {@link KernelContext#runSubgraph},
 * which resolves values the body captures from enclosing graphs in the calling frame. Shape
 * functions infer the bodies too, so values inside them get types.
 *
 * <p>Also home of the axis helpers the sequence ops share: {@link #slice}, {@link #stack} and
 * {@link #concat} copy whole rows of any element type's storage.
 */
public final class ControlFlow implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("If", 1).inputs(1).outputs(1, Integer.MAX_VALUE).requiredAttr("then_branch")
        .requiredAttr("else_branch").shape(ControlFlow::ifShape).kernel(ControlFlow::runIf);
    r.op("Loop", 1).inputs(2, Integer.MAX_VALUE).outputs(0, Integer.MAX_VALUE)
        .requiredAttr("body").shape(ControlFlow::loopShape).kernel(ControlFlow::runLoop);
    r.op("Scan", 8).inputs(1, Integer.MAX_VALUE).outputs(1, Integer.MAX_VALUE)
        .requiredAttr("body").requiredAttr("num_scan_inputs").optionalAttr("directions")
        .shape(ctx -> scanShape(ctx, true)).kernel(ControlFlow::runScan8);
    r.op("Scan", 9).inputs(1, Integer.MAX_VALUE).outputs(1, Integer.MAX_VALUE)
        .requiredAttr("body").requiredAttr("num_scan_inputs").optionalAttr("scan_input_axes")
        .optionalAttr("scan_input_directions").optionalAttr("scan_output_axes")
        .optionalAttr("scan_output_directions")
        .shape(ctx -> scanShape(ctx, false)).kernel(ControlFlow::runScan9);
  }

  // ---- If ----

  private static List<RuntimeValue> runIf(KernelContext ctx) {
    NdArray cond = ctx.tensor(0);
    if (cond.size() != 1) {
      throw ctx.error("cond must hold one element, has shape " + cond.shape());
    }
    boolean taken = cond.getDouble(0) != 0;
    Graph branch = ctx.attrGraph(taken ? "then_branch" : "else_branch");
    List<RuntimeValue> out = ctx.runSubgraph(branch, List.of());
    if (out.size() != ctx.outputCount()) {
      throw ctx.error((taken ? "then" : "else") + "_branch has " + out.size()
          + " outputs but the node has " + ctx.outputCount());
    }
    return out;
  }

  private static List<ValueType> ifShape(InferenceContext ctx) {
    List<ValueType> a = ctx.inferSubgraph(ctx.attrGraph("then_branch"), List.of());
    List<ValueType> b = ctx.inferSubgraph(ctx.attrGraph("else_branch"), List.of());
    List<ValueType> out = new ArrayList<>();
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      out.add(join(a.get(i), b.get(i)));
    }
    return out;
  }

  /** A type both {@code a} and {@code b} satisfy: dims that differ become unknown. */
  static ValueType join(ValueType a, ValueType b) {
    if (a == null || b == null) {
      return null;
    }
    if (a instanceof TensorType ta && b instanceof TensorType tb) {
      if (ta.dtype() != tb.dtype()) {
        return null;
      }
      Shape sa = ta.shape();
      Shape sb = tb.shape();
      if (!sa.hasRank() || !sb.hasRank() || sa.rank() != sb.rank()) {
        return new TensorType(ta.dtype(), Shape.unknownRank());
      }
      List<Dim> dims = new ArrayList<>();
      for (int i = 0; i < sa.rank(); i++) {
        dims.add(sa.dim(i).equals(sb.dim(i)) ? sa.dim(i) : Dim.UNKNOWN);
      }
      return new TensorType(ta.dtype(), Shape.of(dims));
    }
    if (a instanceof SequenceType sa && b instanceof SequenceType sb) {
      return new SequenceType(join(sa.elementType(), sb.elementType()));
    }
    if (a instanceof OptionalType oa && b instanceof OptionalType ob) {
      return new OptionalType(join(oa.elementType(), ob.elementType()));
    }
    return a.equals(b) ? a : null;
  }

  // ---- Loop ----

  private static List<RuntimeValue> runLoop(KernelContext ctx) {
    Graph body = ctx.attrGraph("body");
    int carried = ctx.inputCount() - 2;
    int bodyOutputs = body.outputs().size();
    int scans = bodyOutputs - 1 - carried;
    if (body.inputs().size() != carried + 2 || scans < 0) {
      throw ctx.error("body takes " + body.inputs().size() + " inputs and gives " + bodyOutputs
          + " outputs, but the node carries " + carried + " values");
    }
    NdArray maxTrips = ctx.optionalTensor(0);
    long limit = maxTrips == null ? Long.MAX_VALUE : maxTrips.getLong(0);
    NdArray condIn = ctx.optionalTensor(1);
    boolean cond = condIn == null || condIn.getDouble(0) != 0;
    List<RuntimeValue> state = new ArrayList<>(ctx.inputs().subList(2, ctx.inputCount()));
    List<List<RuntimeValue>> scanItems = new ArrayList<>();
    for (int k = 0; k < scans; k++) {
      scanItems.add(new ArrayList<>());
    }
    for (long i = 0; i < limit && cond; i++) {
      if (Thread.currentThread().isInterrupted()) {
        throw ctx.error("interrupted after " + i + " iterations");
      }
      List<RuntimeValue> in = new ArrayList<>(carried + 2);
      in.add(NdArray.scalarLong(i));
      in.add(NdArray.scalarBool(cond));
      in.addAll(state);
      List<RuntimeValue> out = ctx.runSubgraph(body, in);
      if (condIn != null) {
        if (!(out.get(0) instanceof NdArray c) || c.size() != 1) {
          throw ctx.error("body's condition output must be one bool, is " + out.get(0).describe());
        }
        cond = c.getDouble(0) != 0;
      }
      for (int k = 0; k < carried; k++) {
        state.set(k, out.get(1 + k));
      }
      for (int k = 0; k < scans; k++) {
        scanItems.get(k).add(out.get(1 + carried + k));
      }
    }
    List<RuntimeValue> result = new ArrayList<>(state);
    for (int k = 0; k < scans; k++) {
      List<RuntimeValue> items = scanItems.get(k);
      if (items.isEmpty()) {
        result.add(emptyStack(ctx, body.outputs().get(1 + carried + k)));
      } else {
        result.add(stack(ctx, tensors(ctx, items), 0));
      }
    }
    return result;
  }

  /** A scan output of zero iterations: {@code [0, ...]} with the body output's element shape. */
  private static NdArray emptyStack(KernelContext ctx, Value bodyOutput) {
    if (!(bodyOutput.type() instanceof TensorType t)) {
      throw new UnsupportedOpException(ctx.where() + ": a scan output of zero iterations needs"
          + " a declared tensor type on body output '" + bodyOutput.name() + "'");
    }
    long[] dims = t.shape().isStatic() ? t.shape().sizes() : new long[0];
    long[] out = new long[dims.length + 1];
    System.arraycopy(dims, 0, out, 1, dims.length);
    return NdArray.allocate(t.dtype(), out);
  }

  private static List<ValueType> loopShape(InferenceContext ctx) {
    Graph body = ctx.attrGraph("body");
    int carried = ctx.inputCount() - 2;
    List<ValueType> in = new ArrayList<>();
    in.add(new TensorType(DType.INT64, Shape.scalar()));
    in.add(new TensorType(DType.BOOL, Shape.scalar()));
    for (int k = 0; k < carried; k++) {
      in.add(ctx.inputType(2 + k));
    }
    List<ValueType> bodyOut = inferCarried(ctx, body, in, 2, carried, 1);
    List<ValueType> out = new ArrayList<>();
    for (int k = 0; k < carried; k++) {
      ValueType t = 1 + k < bodyOut.size() ? bodyOut.get(1 + k) : null;
      // A carried value may change shape between iterations: keep only what both agree on.
      out.add(t == null ? null : join(t, ctx.inputType(2 + k) == null ? t : ctx.inputType(2 + k)));
    }
    for (int k = 1 + carried; k < bodyOut.size(); k++) {
      out.add(prependDim(bodyOut.get(k), Dim.UNKNOWN));
    }
    return out;
  }

  /** Passes over a loop body after which carried types are given up as of unknown shape. */
  private static final int MAX_CARRIED_PASSES = 3;

  /**
   * Infers a loop or scan body whose inputs {@code [firstIn, firstIn + carried)} are carried from
   * one iteration to the next (as outputs {@code [firstOut, ...)}): a carried value may change
   * shape between iterations, so its type inside the body must hold for every iteration, not only
   * the first. Starting from the initial types, each pass widens a carried type to what it and the
   * body's output agree on, until nothing changes; the body's output types of the last pass.
   */
  private static List<ValueType> inferCarried(InferenceContext ctx, Graph body,
      List<ValueType> inputs, int firstIn, int carried, int firstOut) {
    List<ValueType> types = new ArrayList<>(inputs);
    for (int pass = 0; ; pass++) {
      List<ValueType> out = ctx.inferSubgraph(body, types);
      boolean stable = true;
      for (int k = 0; k < carried; k++) {
        ValueType now = types.get(firstIn + k);
        ValueType next = firstOut + k < out.size() ? join(now, out.get(firstOut + k)) : null;
        if (next == null || pass >= MAX_CARRIED_PASSES) {
          next = now instanceof TensorType t ? new TensorType(t.dtype(), Shape.unknownRank()) : next;
        }
        if (!Objects.equals(now, next)) {
          types.set(firstIn + k, next);
          stable = false;
        }
      }
      if (stable) {
        return out;
      }
    }
  }

  private static ValueType prependDim(ValueType t, Dim d) {
    if (!(t instanceof TensorType tt)) {
      return null;
    }
    if (!tt.shape().hasRank()) {
      return tt;
    }
    List<Dim> dims = new ArrayList<>();
    dims.add(d);
    dims.addAll(tt.shape().dims());
    return new TensorType(tt.dtype(), Shape.of(dims));
  }

  // ---- Scan ----

  private static List<RuntimeValue> runScan9(KernelContext ctx) {
    int m = ctx.attrInt("num_scan_inputs");
    int n = ctx.inputCount() - m;
    if (n < 0) {
      throw ctx.error("num_scan_inputs " + m + " exceeds the " + ctx.inputCount() + " inputs");
    }
    List<RuntimeValue> states = new ArrayList<>(ctx.inputs().subList(0, n));
    List<NdArray> scanIn = new ArrayList<>();
    for (int i = n; i < n + m; i++) {
      scanIn.add(ctx.tensor(i));
    }
    return scan(ctx, states, scanIn, -1);
  }

  /**
   * Runs a Scan body over {@code scanIn} with initial {@code states}; returns final states then
   * stacked scan outputs. {@code length} limits the iterations (opset-8 sequence_lens), -1 for
   * the full length.
   */
  private static List<RuntimeValue> scan(KernelContext ctx, List<RuntimeValue> states,
      List<NdArray> scanIn, int length) {
    Graph body = ctx.attrGraph("body");
    int n = states.size();
    int m = scanIn.size();
    int k = body.outputs().size() - n;
    if (body.inputs().size() != n + m || k < 0) {
      throw ctx.error("body takes " + body.inputs().size() + " inputs and gives "
          + body.outputs().size() + " outputs, but the node has " + n + " states and " + m
          + " scan inputs");
    }
    boolean v9 = ctx.def().attribute("scan_input_axes") != null;
    long[] inAxes = v9 ? ctx.attrLongs("scan_input_axes") : null;
    long[] inDirs = ctx.attrLongs(v9 ? "scan_input_directions" : "directions");
    long[] outAxes = v9 ? ctx.attrLongs("scan_output_axes") : null;
    long[] outDirs = v9 ? ctx.attrLongs("scan_output_directions") : null;
    int[] axes = new int[m];
    long seq = -1;
    for (int i = 0; i < m; i++) {
      NdArray a = scanIn.get(i);
      axes[i] = inAxes == null ? 0 : ctx.axis(inAxes[i], a.rank());
      long len = a.rank() == 0 ? -1 : a.dim(axes[i]);
      if (seq >= 0 && len != seq) {
        throw ctx.error("scan inputs have different sequence lengths " + seq + " and " + len);
      }
      seq = len;
    }
    if (seq < 0) {
      throw ctx.error("Scan needs at least one scan input of rank 1 or more");
    }
    int steps = length < 0 ? (int) seq : Math.min(length, (int) seq);
    List<RuntimeValue> state = new ArrayList<>(states);
    List<List<NdArray>> outs = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      outs.add(new ArrayList<>());
    }
    for (int s = 0; s < steps; s++) {
      List<RuntimeValue> in = new ArrayList<>(state);
      for (int i = 0; i < m; i++) {
        boolean rev = inDirs != null && inDirs[i] != 0;
        in.add(slice(scanIn.get(i), axes[i], rev ? steps - 1 - s : s));
      }
      List<RuntimeValue> out = ctx.runSubgraph(body, in);
      for (int j = 0; j < n; j++) {
        state.set(j, out.get(j));
      }
      for (int j = 0; j < k; j++) {
        if (!(out.get(n + j) instanceof NdArray a)) {
          throw ctx.error("scan output " + j + " must be a tensor, is " + out.get(n + j).describe());
        }
        outs.get(j).add(a);
      }
    }
    List<RuntimeValue> result = new ArrayList<>(state);
    for (int j = 0; j < k; j++) {
      List<NdArray> items = new ArrayList<>(outs.get(j));
      if (outDirs != null && j < outDirs.length && outDirs[j] != 0) {
        java.util.Collections.reverse(items);
      }
      if (items.isEmpty()) {
        result.add(emptyStack(ctx, body.outputs().get(n + j)));
        continue;
      }
      int rank = items.get(0).rank() + 1;
      int axis = outAxes == null || j >= outAxes.length ? 0 : ctx.axis(outAxes[j], rank);
      result.add(stack(ctx, items, axis));
    }
    return result;
  }

  /** Opset 8: every state and scan input has a leading batch axis; each batch scans alone. */
  private static List<RuntimeValue> runScan8(KernelContext ctx) {
    int m = ctx.attrInt("num_scan_inputs");
    int n = ctx.inputCount() - 1 - m;
    if (n < 0) {
      throw ctx.error("num_scan_inputs " + m + " exceeds the inputs");
    }
    List<NdArray> states = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      states.add(ctx.tensor(i));
    }
    List<NdArray> scanIn = new ArrayList<>();
    for (int i = 1 + n; i < 1 + n + m; i++) {
      scanIn.add(ctx.tensor(i));
    }
    NdArray first = n > 0 ? states.get(0) : scanIn.get(0);
    int batch = (int) first.dim(0);
    long[] lens = ctx.longs(0);
    List<List<NdArray>> perOutput = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      List<RuntimeValue> st = new ArrayList<>();
      for (NdArray s : states) {
        st.add(slice(s, 0, b));
      }
      List<NdArray> in = new ArrayList<>();
      for (NdArray s : scanIn) {
        in.add(slice(s, 0, b));
      }
      int len = lens == null ? -1 : (int) lens[b];
      List<RuntimeValue> out = scan(ctx, st, in, len);
      long full = in.get(0).dim(0);
      for (int j = 0; j < out.size(); j++) {
        if (perOutput.size() <= j) {
          perOutput.add(new ArrayList<>());
        }
        NdArray a = (NdArray) out.get(j);
        if (j >= n && a.dim(0) < full) {
          a = padAxis0(a, full);
        }
        perOutput.get(j).add(a);
      }
    }
    List<RuntimeValue> result = new ArrayList<>();
    for (List<NdArray> items : perOutput) {
      result.add(stack(ctx, items, 0));
    }
    return result;
  }

  /** {@code a} extended with zeros along axis 0 to {@code length} rows. */
  private static NdArray padAxis0(NdArray a, long length) {
    long[] dims = a.dims();
    dims[0] = length;
    NdArray out = NdArray.allocate(a.dtype(), dims);
    System.arraycopy(a.data(), 0, out.data(), 0, a.size());
    return out;
  }

  private static List<ValueType> scanShape(InferenceContext ctx, boolean v8) {
    Graph body = ctx.attrGraph("body");
    int m = ctx.attrInt("num_scan_inputs");
    int first = v8 ? 1 : 0;
    int n = ctx.inputCount() - first - m;
    if (n < 0) {
      return null;
    }
    long[] inAxes = v8 ? null : ctx.attrLongs("scan_input_axes");
    long[] outAxes = v8 ? null : ctx.attrLongs("scan_output_axes");
    List<ValueType> in = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ValueType t = ctx.inputType(first + i);
      in.add(v8 ? dropDim(t, 0) : t);
    }
    Dim seq = Dim.UNKNOWN;
    for (int i = 0; i < m; i++) {
      ValueType t = ctx.inputType(first + n + i);
      int axis = v8 ? 1 : 0;
      if (!v8 && inAxes != null && t instanceof TensorType tt && tt.shape().hasRank()) {
        axis = ctx.axis(inAxes[i], tt.shape().rank());
      }
      if (i == 0 && t instanceof TensorType tt && tt.shape().hasRank()
          && tt.shape().rank() > axis) {
        seq = tt.shape().dim(axis);
      }
      // Opset 8 scans a [batch, sequence, ...] input: the body sees neither dim.
      ValueType sliced = v8 ? dropDim(dropDim(t, axis), 0) : dropDim(t, axis);
      in.add(sliced);
    }
    List<ValueType> bodyOut = inferCarried(ctx, body, in, 0, n, 0);
    List<ValueType> out = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      ValueType initial = ctx.inputType(first + j);
      ValueType last = j < bodyOut.size() ? bodyOut.get(j) : null;
      if (v8 && initial instanceof TensorType it && it.shape().hasRank()
          && it.shape().rank() > 0) {
        last = prependDim(last, it.shape().dim(0));
      }
      out.add(join(initial, last));
    }
    for (int j = n; j < bodyOut.size(); j++) {
      ValueType t = bodyOut.get(j);
      if (!(t instanceof TensorType tt) || !tt.shape().hasRank()) {
        out.add(t instanceof TensorType tt2 ? new TensorType(tt2.dtype(), Shape.unknownRank())
            : null);
        continue;
      }
      List<Dim> dims = new ArrayList<>(tt.shape().dims());
      if (v8) {
        dims.add(0, seq);
        Dim batch = Dim.UNKNOWN;
        ValueType b = ctx.inputType(first);
        if (b instanceof TensorType bt && bt.shape().hasRank() && bt.shape().rank() > 0) {
          batch = bt.shape().dim(0);
        }
        dims.add(0, batch);
      } else {
        int rank = dims.size() + 1;
        int axis = outAxes == null || j - n >= outAxes.length ? 0
            : ctx.axis(outAxes[j - n], rank);
        dims.add(axis, seq);
      }
      out.add(new TensorType(tt.dtype(), Shape.of(dims)));
    }
    return out;
  }

  private static ValueType dropDim(ValueType t, int axis) {
    if (t instanceof TensorType tt && tt.shape().hasRank() && tt.shape().rank() > axis) {
      List<Dim> dims = new ArrayList<>(tt.shape().dims());
      dims.remove(axis);
      return new TensorType(tt.dtype(), Shape.of(dims));
    }
    return t instanceof TensorType tt ? new TensorType(tt.dtype(), Shape.unknownRank()) : t;
  }

  // ---- axis helpers shared with Sequence ----

  static List<NdArray> tensors(NodeContext ctx, List<RuntimeValue> items) {
    List<NdArray> out = new ArrayList<>(items.size());
    for (RuntimeValue v : items) {
      if (!(v instanceof NdArray a)) {
        throw ctx.error("expected tensors, got " + v.describe());
      }
      out.add(a);
    }
    return out;
  }

  /** Element {@code index} along {@code axis}, that axis removed. */
  static NdArray slice(NdArray a, int axis, int index) {
    long[] dims = a.dims();
    int n = (int) dims[axis];
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int outer = n == 0 || inner == 0 ? 0 : a.size() / (n * inner);
    long[] outDims = new long[dims.length - 1];
    for (int i = 0, o = 0; i < dims.length; i++) {
      if (i != axis) {
        outDims[o++] = dims[i];
      }
    }
    NdArray out = NdArray.allocate(a.dtype(), outDims);
    for (int o = 0; o < outer; o++) {
      System.arraycopy(a.data(), (o * n + index) * inner, out.data(), o * inner, inner);
    }
    return out;
  }

  /** The items (equal shapes and types) stacked along a new axis {@code axis}. */
  static NdArray stack(NodeContext ctx, List<NdArray> items, int axis) {
    NdArray first = items.get(0);
    long[] dims = first.dims();
    for (NdArray a : items) {
      if (a.dtype() != first.dtype() || !Arrays.equals(a.dims(), dims)) {
        throw ctx.error("cannot stack " + first.describe() + " with " + a.describe());
      }
    }
    long[] expanded = new long[dims.length + 1];
    for (int i = 0, j = 0; i < expanded.length; i++) {
      expanded[i] = i == axis ? 1 : dims[j++];
    }
    List<NdArray> reshaped = new ArrayList<>(items.size());
    for (NdArray a : items) {
      reshaped.add(a.reshape(expanded));
    }
    return concat(ctx, reshaped, axis);
  }

  /** The items (equal ranks and types, equal dims except {@code axis}) joined along it. */
  static NdArray concat(NodeContext ctx, List<NdArray> items, int axis) {
    NdArray first = items.get(0);
    long[] dims = first.dims();
    long total = 0;
    for (NdArray a : items) {
      if (a.dtype() != first.dtype() || a.rank() != dims.length) {
        throw ctx.error("cannot concatenate " + first.describe() + " with " + a.describe());
      }
      for (int i = 0; i < dims.length; i++) {
        if (i != axis && a.dim(i) != dims[i]) {
          throw ctx.error("cannot concatenate " + first.describe() + " with " + a.describe()
              + " along axis " + axis);
        }
      }
      total += a.dim(axis);
    }
    long[] outDims = dims.clone();
    outDims[axis] = total;
    NdArray out = NdArray.allocate(first.dtype(), outDims);
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) dims[i];
    }
    int outRow = (int) total * inner;
    int at = 0;
    for (NdArray a : items) {
      int row = (int) a.dim(axis) * inner;
      for (int o = 0; o < outer; o++) {
        System.arraycopy(a.data(), o * row, out.data(), o * outRow + at, row);
      }
      at += row;
    }
    return out;
  }
}

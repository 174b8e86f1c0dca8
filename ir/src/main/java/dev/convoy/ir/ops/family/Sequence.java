package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
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
import dev.convoy.ir.ops.RuntimeValue.OptionalValue;
import dev.convoy.ir.ops.RuntimeValue.SequenceValue;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.List;

/**
 * Sequences and optionals: SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt,
 * SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap (its body runs
 * once per item through the subgraph runner), Optional, OptionalHasElement and
 * OptionalGetElement (opset 18 forms also accept plain tensors and sequences).
 */
public final class Sequence implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("SequenceEmpty", 11).inputs(0).attr("dtype", (long) DType.FLOAT.onnxCode())
        .shape(ctx -> List.of(new SequenceType(new TensorType(
            DType.fromOnnx((int) ctx.attrLong("dtype")), Shape.unknownRank()))))
        .kernel(ctx -> one(new SequenceValue(new TensorType(
            DType.fromOnnx((int) ctx.attrLong("dtype")), Shape.unknownRank()), List.of())));
    r.op("SequenceConstruct", 11).variadicInputs(1).shape(Sequence::constructShape)
        .kernel(ctx -> {
          List<NdArray> items = ControlFlow.tensors(ctx, ctx.inputs());
          for (NdArray a : items) {
            if (a.dtype() != items.get(0).dtype()) {
              throw ctx.error("sequence items must share an element type, got "
                  + items.get(0).describe() + " and " + a.describe());
            }
          }
          return one(new SequenceValue(elementOf(items.get(0)), new ArrayList<>(items)));
        });
    r.op("SequenceInsert", 11).inputs(2, 3).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      SequenceValue s = sequence(ctx, 0);
      NdArray t = ctx.tensor(1);
      int n = s.size();
      long pos = ctx.scalarLong(2, n);
      int at = position(ctx, pos, n, true);
      List<RuntimeValue> items = new ArrayList<>(s.items());
      items.add(at, t);
      return one(new SequenceValue(s.elementType() != null ? s.elementType() : elementOf(t),
          items));
    });
    r.op("SequenceAt", 11).inputs(2).shape(ctx -> ctx.inputType(0) instanceof SequenceType st
        ? singleton(st.elementType()) : null).kernel(ctx -> {
          SequenceValue s = sequence(ctx, 0);
          return one(s.items().get(position(ctx, ctx.scalarLong(1, 0), s.size(), false)));
        });
    r.op("SequenceErase", 11).inputs(1, 2).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      SequenceValue s = sequence(ctx, 0);
      int at = position(ctx, ctx.scalarLong(1, -1), s.size(), false);
      List<RuntimeValue> items = new ArrayList<>(s.items());
      items.remove(at);
      return one(new SequenceValue(s.elementType(), items));
    });
    r.op("SequenceLength", 11).shape(ctx -> ShapeFns.tensor(DType.INT64, Shape.scalar()))
        .kernel(ctx -> one(NdArray.scalarLong(sequence(ctx, 0).size())));
    r.op("SplitToSequence", 11).inputs(1, 2).attr("axis", 0L).attr("keepdims", 1L)
        .shape(ctx -> {
          DType dt = ctx.dtype(0);
          return dt == null ? null
              : List.of(new SequenceType(new TensorType(dt, Shape.unknownRank())));
        })
        .kernel(Sequence::splitToSequence);
    r.op("ConcatFromSequence", 11).requiredAttr("axis").attr("new_axis", 0L)
        .shape(Sequence::concatShape).kernel(ctx -> {
          SequenceValue s = sequence(ctx, 0);
          if (s.size() == 0) {
            throw ctx.error("cannot concatenate an empty sequence");
          }
          List<NdArray> items = ControlFlow.tensors(ctx, s.items());
          boolean newAxis = ctx.attrLong("new_axis") != 0;
          int rank = items.get(0).rank() + (newAxis ? 1 : 0);
          int axis = ctx.axis(ctx.attrLong("axis"), rank);
          return one(newAxis ? ControlFlow.stack(ctx, items, axis)
              : ControlFlow.concat(ctx, items, axis));
        });
    r.op("SequenceMap", 17).variadicInputs(1).outputs(1, Integer.MAX_VALUE).requiredAttr("body")
        .shape(Sequence::mapShape).kernel(Sequence::sequenceMap);

    r.op("Optional", 15).inputs(0, 1).optionalAttr("type").shape(ctx -> {
      ValueType t = ctx.hasInput(0) ? ctx.inputType(0) : declaredType(ctx);
      return List.of(new OptionalType(t));
    }).kernel(ctx -> one(ctx.hasInput(0)
        ? new OptionalValue(typeOf(ctx.input(0)), ctx.input(0))
        : new OptionalValue(declaredType(ctx), null)));
    r.op("OptionalHasElement", 15).inputs(0, 1)
        .shape(ctx -> ShapeFns.tensor(DType.BOOL, Shape.scalar()))
        .kernel(ctx -> {
          RuntimeValue v = ctx.input(0);
          boolean present = v instanceof OptionalValue o ? o.isPresent() : v != null;
          return one(NdArray.scalarBool(present));
        });
    r.op("OptionalGetElement", 15).shape(ctx -> ctx.inputType(0) instanceof OptionalType o
        ? singleton(o.elementType()) : singleton(ctx.inputType(0))).kernel(ctx -> {
          RuntimeValue v = ctx.input(0);
          if (v instanceof OptionalValue o) {
            if (!o.isPresent()) {
              throw ctx.error("the optional input is empty");
            }
            return one(o.value());
          }
          if (v == null) {
            throw ctx.error("input 0 is missing");
          }
          return one(v);
        });
  }

  private static List<ValueType> singleton(ValueType t) {
    return t == null ? null : List.of(t);
  }

  private static SequenceValue sequence(KernelContext ctx, int i) {
    RuntimeValue v = ctx.input(i);
    if (v instanceof SequenceValue s) {
      return s;
    }
    throw ctx.error("input " + i + " must be a sequence, is "
        + (v == null ? "missing" : v.describe()));
  }

  /** A position in {@code [-n, n-1]} ({@code [-n, n]} when inserting) as an index. */
  private static int position(KernelContext ctx, long pos, int n, boolean insert) {
    long p = pos < 0 ? pos + n : pos;
    if (p < 0 || p > n || (!insert && p == n)) {
      throw ctx.error("position " + pos + " is out of range for a sequence of " + n + " items");
    }
    return (int) p;
  }

  private static ValueType elementOf(NdArray a) {
    return new TensorType(a.dtype(), Shape.unknownRank());
  }

  private static ValueType typeOf(RuntimeValue v) {
    if (v instanceof NdArray a) {
      return new TensorType(a.dtype(), a.shape());
    }
    if (v instanceof SequenceValue s) {
      return new SequenceType(s.elementType());
    }
    return v instanceof OptionalValue o ? new OptionalType(o.elementType()) : null;
  }

  private static ValueType declaredType(NodeContext ctx) {
    Attribute a = ctx.attr("type");
    return a instanceof Attribute.TypeAttr t ? t.value() : null;
  }

  private static List<ValueType> constructShape(InferenceContext ctx) {
    ValueType joined = ctx.inputType(0);
    for (int i = 1; i < ctx.inputCount(); i++) {
      joined = ControlFlow.join(joined, ctx.inputType(i));
    }
    return joined == null ? null : List.of(new SequenceType(joined));
  }

  private static List<ValueType> concatShape(InferenceContext ctx) {
    if (!(ctx.inputType(0) instanceof SequenceType st)
        || !(st.elementType() instanceof TensorType et)) {
      return null;
    }
    Shape s = et.shape();
    if (!s.hasRank()) {
      return ShapeFns.tensor(et.dtype(), Shape.unknownRank());
    }
    boolean newAxis = ctx.attrLong("new_axis") != 0;
    int rank = s.rank() + (newAxis ? 1 : 0);
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    List<Dim> dims = new ArrayList<>(s.dims());
    if (newAxis) {
      dims.add(axis, Dim.UNKNOWN);
    } else {
      dims.set(axis, Dim.UNKNOWN);
    }
    return ShapeFns.tensor(et.dtype(), Shape.of(dims));
  }

  private static List<RuntimeValue> splitToSequence(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    int axis = ctx.axis(ctx.attrLong("axis"), x.rank());
    long len = x.dim(axis);
    NdArray split = ctx.optionalTensor(1);
    List<RuntimeValue> items = new ArrayList<>();
    if (split == null) {
      boolean keep = ctx.attrLong("keepdims") != 0;
      for (int i = 0; i < len; i++) {
        NdArray piece = ControlFlow.slice(x, axis, i);
        items.add(keep ? piece.reshape(withOne(x.dims(), axis)) : piece);
      }
      return one(new SequenceValue(elementOf(x), items));
    }
    long[] sizes;
    if (split.rank() == 0) {
      long chunk = split.getLong(0);
      if (chunk <= 0) {
        throw ctx.error("split must be positive, is " + chunk);
      }
      int count = (int) ((len + chunk - 1) / chunk);
      sizes = new long[count];
      for (int i = 0; i < count; i++) {
        sizes[i] = Math.min(chunk, len - i * chunk);
      }
    } else {
      sizes = split.toLongs();
      long sum = 0;
      for (long s : sizes) {
        sum += s;
      }
      if (sum != len) {
        throw ctx.error("split sizes add up to " + sum + " but axis " + axis + " has " + len);
      }
    }
    long start = 0;
    for (long size : sizes) {
      items.add(range(x, axis, start, size));
      start += size;
    }
    return one(new SequenceValue(elementOf(x), items));
  }

  private static long[] withOne(long[] dims, int axis) {
    long[] d = dims.clone();
    d[axis] = 1;
    return d;
  }

  /** Elements {@code [start, start+size)} along {@code axis}. */
  private static NdArray range(NdArray x, int axis, long start, long size) {
    long[] dims = x.dims();
    int n = (int) dims[axis];
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int outer = n == 0 || inner == 0 ? 0 : x.size() / (n * inner);
    long[] outDims = dims.clone();
    outDims[axis] = size;
    NdArray out = NdArray.allocate(x.dtype(), outDims);
    int row = (int) size * inner;
    for (int o = 0; o < outer; o++) {
      System.arraycopy(x.data(), (o * n + (int) start) * inner, out.data(), o * row, row);
    }
    return out;
  }

  private static List<RuntimeValue> sequenceMap(KernelContext ctx) {
    Graph body = ctx.attrGraph("body");
    SequenceValue first = sequence(ctx, 0);
    int n = first.size();
    for (int j = 1; j < ctx.inputCount(); j++) {
      if (ctx.input(j) instanceof SequenceValue s && s.size() != n) {
        throw ctx.error("input " + j + " has " + s.size() + " items, input 0 has " + n);
      }
    }
    int outs = body.outputs().size();
    List<List<RuntimeValue>> results = new ArrayList<>();
    for (int k = 0; k < outs; k++) {
      results.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      List<RuntimeValue> in = new ArrayList<>();
      for (int j = 0; j < ctx.inputCount(); j++) {
        RuntimeValue v = ctx.input(j);
        in.add(v instanceof SequenceValue s ? s.items().get(i) : v);
      }
      List<RuntimeValue> out = ctx.runSubgraph(body, in);
      for (int k = 0; k < outs; k++) {
        results.get(k).add(out.get(k));
      }
    }
    List<RuntimeValue> seqs = new ArrayList<>();
    for (int k = 0; k < outs; k++) {
      ValueType declared = body.outputs().get(k).type();
      ValueType element = declared instanceof TensorType tt
          ? new TensorType(tt.dtype(), Shape.unknownRank()) : declared;
      seqs.add(new SequenceValue(element, results.get(k)));
    }
    return seqs;
  }

  private static List<ValueType> mapShape(InferenceContext ctx) {
    List<ValueType> in = new ArrayList<>();
    for (int j = 0; j < ctx.inputCount(); j++) {
      ValueType t = ctx.inputType(j);
      in.add(t instanceof SequenceType s ? s.elementType() : t);
    }
    List<ValueType> bodyOut = ctx.inferSubgraph(ctx.attrGraph("body"), in);
    List<ValueType> out = new ArrayList<>();
    for (ValueType t : bodyOut) {
      out.add(t == null ? null : new SequenceType(t instanceof TensorType tt
          ? new TensorType(tt.dtype(), tt.shape().hasRank()
              ? ShapeFns.unknownDims(tt.shape().rank()) : Shape.unknownRank()) : t));
    }
    return out;
  }
}

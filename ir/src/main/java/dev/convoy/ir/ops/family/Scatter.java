package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that write elements at computed positions into a copy of their data: Scatter,
 * ScatterElements and ScatterND (with add/mul/max/min reductions) and TensorScatter. Negative
 * indices count from the end as ONNX allows; an index out of range is an error naming the node.
 */
public final class Scatter implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Scatter", 9).inputs(3).attr("axis", 0L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterElements(ctx, "none")));
    r.op("ScatterElements", 11).inputs(3).attr("axis", 0L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterElements(ctx, "none")));
    r.op("ScatterND", 11).inputs(3).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterNd(ctx, "none")));
    for (int since : new int[] {16, 18}) {
      r.op("ScatterElements", since).inputs(3).attr("axis", 0L).attr("reduction", "none")
          .shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> one(scatterElements(ctx, ctx.attrString("reduction"))));
      r.op("ScatterND", since).inputs(3).attr("reduction", "none")
          .shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> one(scatterNd(ctx, ctx.attrString("reduction"))));
    }
    r.op("TensorScatter", 24).inputs(2, 3).attr("axis", -2L).attr("mode", "linear")
        .shape(ShapeFns.sameAsInput(0)).kernel(Scatter::tensorScatter);
  }

  private static NdArray scatterElements(KernelContext ctx, String reduction) {
    NdArray data = ctx.tensor(0);
    NdArray updates = ctx.tensor(2);
    NdArray idx = ctx.tensor(1);
    if (!Arrays.equals(idx.dims(), updates.dims())) {
      throw ctx.error("indices " + idx.shape() + " and updates " + updates.shape()
          + " must have the same shape");
    }
    int axis = ctx.axis(ctx.attrLong("axis"), data.rank());
    int[] offsets = Indices.axisOffsets(ctx, idx.dims(), Indices.indices(ctx, 1), data.dims(), axis);
    return scatter(ctx, data, updates, offsets, 1, reduction);
  }

  /**
   * A copy of {@code data} where block {@code j} of {@code block} elements of {@code updates}
   * is written at {@code offsets[j]}, combined by {@code reduction} (in update order).
   */
  private static NdArray scatter(NodeContext ctx, NdArray data, NdArray updates, int[] offsets,
      int block, String reduction) {
    if (updates.dtype() != data.dtype()) {
      throw ctx.error("updates have type " + updates.dtype().textName() + " but data has "
          + data.dtype().textName());
    }
    DType t = data.dtype();
    if (reduction.equals("none")) {
      NdArray out = NdArray.allocate(t, data.dims());
      System.arraycopy(data.data(), 0, out.data(), 0, data.size());
      for (int j = 0; j < offsets.length; j++) {
        Strided.row(updates.data(), j * block, 1, out.data(), offsets[j], 1, block);
      }
      return out;
    }
    if (t.isFloatingPoint()) {
      double[] acc = data.toDoubles().clone();
      double[] u = updates.toDoubles();
      java.util.function.DoubleBinaryOperator f = switch (reduction) {
        case "add" -> Double::sum;
        case "mul" -> (a, b) -> a * b;
        case "max" -> Math::max;
        case "min" -> Math::min;
        default -> throw ctx.error("unknown reduction '" + reduction + "'");
      };
      for (int j = 0; j < offsets.length; j++) {
        for (int e = 0; e < block; e++) {
          acc[offsets[j] + e] = f.applyAsDouble(acc[offsets[j] + e], u[j * block + e]);
        }
      }
      return NdArray.fromDoubles(t, data.dims(), acc);
    }
    if (t == DType.STRING) {
      throw ctx.error("reduction '" + reduction + "' does not apply to strings");
    }
    long[] acc = data.toLongs().clone();
    long[] u = updates.toLongs();
    boolean unsigned = t == DType.UINT64;
    java.util.function.LongBinaryOperator g = switch (reduction) {
      case "add" -> Long::sum;
      case "mul" -> (a, b) -> a * b;
      case "max" -> unsigned ? (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b : Math::max;
      case "min" -> unsigned ? (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b : Math::min;
      default -> throw ctx.error("unknown reduction '" + reduction + "'");
    };
    for (int j = 0; j < offsets.length; j++) {
      for (int e = 0; e < block; e++) {
        acc[offsets[j] + e] = g.applyAsLong(acc[offsets[j] + e], u[j * block + e]);
      }
    }
    return NdArray.fromLongs(t, data.dims(), acc);
  }

  private static NdArray scatterNd(KernelContext ctx, String reduction) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    NdArray updates = ctx.tensor(2);
    long[] dd = data.dims();
    long[] id = idx.dims();
    int[] offsets = Indices.tupleOffsets(ctx, dd, id, Indices.indices(ctx, 1), 0);
    int k = (int) id[id.length - 1];
    long[] want = new long[id.length - 1 + dd.length - k];
    System.arraycopy(id, 0, want, 0, id.length - 1);
    System.arraycopy(dd, k, want, id.length - 1, dd.length - k);
    if (!Arrays.equals(want, updates.dims())) {
      throw ctx.error("updates must have shape " + Shape.toString(want) + ", have "
          + updates.shape());
    }
    return scatter(ctx, data, updates, offsets, (int) Shape.product(dd, k, dd.length), reduction);
  }

  private static List<RuntimeValue> tensorScatter(KernelContext ctx) {
    NdArray past = ctx.tensor(0);
    NdArray update = ctx.tensor(1);
    long[] pd = past.dims();
    long[] ud = update.dims();
    int axis = ctx.axis(ctx.attrLong("axis"), pd.length);
    if (axis == 0) {
      throw ctx.error("axis must not be the batch axis 0");
    }
    for (int i = 0; i < pd.length; i++) {
      if (ud.length != pd.length || (i != axis && ud[i] != pd[i]) || ud[axis] > pd[axis]) {
        throw ctx.error("update " + update.shape() + " does not fit past_cache " + past.shape()
            + " along axis " + axis);
      }
    }
    long[] writeAt = ctx.hasInput(2) ? Indices.indices(ctx, 2) : new long[(int) pd[0]];
    boolean circular = switch (ctx.attrString("mode")) {
      case "linear" -> false;
      case "circular" -> true;
      default -> throw ctx.error("mode must be 'linear' or 'circular'");
    };
    NdArray out = NdArray.allocate(past.dtype(), pd);
    System.arraycopy(past.data(), 0, out.data(), 0, past.size());
    int inner = (int) Shape.product(pd, axis + 1, pd.length);
    long max = pd[axis];
    long seq = ud[axis];
    long prefix = Shape.product(pd, 0, axis);
    long perBatch = prefix / pd[0];
    for (long p = 0; p < prefix; p++) {
      long start = writeAt[(int) (p / perBatch)];
      for (long s = 0; s < seq; s++) {
        long pos = start + s;
        if (circular) {
          pos = Math.floorMod(pos, max);
        } else if (pos < 0 || pos >= max) {
          throw ctx.error("write index " + pos + " is outside the cache length " + max);
        }
        System.arraycopy(update.data(), (int) ((p * seq + s) * inner), out.data(),
            (int) ((p * max + pos) * inner), inner);
      }
    }
    return one(out);
  }
}

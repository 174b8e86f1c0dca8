package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.ConcatenationOptions;
import org.tensorflow.lite.schema.GatherOptions;
import org.tensorflow.lite.schema.MirrorPadMode;
import org.tensorflow.lite.schema.MirrorPadOptions;
import org.tensorflow.lite.schema.PackOptions;
import org.tensorflow.lite.schema.ReshapeOptions;
import org.tensorflow.lite.schema.SplitOptions;
import org.tensorflow.lite.schema.SqueezeOptions;
import org.tensorflow.lite.schema.StridedSliceOptions;
import org.tensorflow.lite.schema.UnpackOptions;

/**
 * Data-movement operators. They work on the tensors' own (NHWC) layout: an axis in TFLite is the
 * same axis in the IR, so none of them needs a Transpose.
 */
final class ShapeOps {
  private ShapeOps() {}

  static void reshape(Op op) {
    long[] shape;
    if (op.has(1) && op.e.isConstant(op.in(1))) {
      shape = op.e.constInts(op.in(1), "the new shape");
    } else if (op.has(1)) {
      Value s = op.e.cast(op.e.raw(op.in(1)), dev.convoy.ir.graph.DType.INT64);
      op.define(0, op.e.node("Reshape", List.of(op.val(0), s), Map.of(), null));
      return;
    } else {
      ReshapeOptions o = op.options(new ReshapeOptions());
      if (o == null) {
        throw op.unsupported("has neither a shape input nor new_shape options");
      }
      shape = new long[o.newShapeLength()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = o.newShape(i);
      }
    }
    boolean zero = Arrays.stream(shape).anyMatch(d -> d == 0);
    Map<String, Attribute> attrs = zero ? Map.of("allowzero", new Attribute.IntAttr(1)) : Map.of();
    op.define(0, op.e.node("Reshape", List.of(op.val(0), op.e.constLongs(shape)), attrs,
        null));
  }

  static void squeeze(Op op) {
    SqueezeOptions o = op.options(new SqueezeOptions());
    long[] dims = new long[o == null ? 0 : o.squeezeDimsLength()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = o.squeezeDims(i);
    }
    if (dims.length == 0) {
      long[] s = op.e.shape(op.required(0));
      dims = java.util.stream.IntStream.range(0, s.length).filter(i -> s[i] == 1)
          .asLongStream().toArray();
    }
    op.define(0, op.e.node("Squeeze", List.of(op.val(0), op.e.constLongs(dims)), Map.of(), null));
  }

  static void expandDims(Op op) {
    long[] axis = op.e.constInts(op.required(1), "the axis");
    op.define(0, op.e.node("Unsqueeze", List.of(op.val(0), op.e.constLongs(axis)), Map.of(),
        null));
  }

  static void concatenation(Op op) {
    ConcatenationOptions o = op.options(new ConcatenationOptions());
    List<Value> ins = new ArrayList<>();
    for (int i = 0; i < op.inputCount(); i++) {
      ins.add(op.val(i));
    }
    Value y = op.e.node("Concat", ins, Map.of("axis", new Attribute.IntAttr(o.axis())), null);
    op.define(0, op.e.activation(y, o.fusedActivationFunction(), op.where()));
  }

  static void pack(Op op) {
    PackOptions o = op.options(new PackOptions());
    List<Value> ins = new ArrayList<>();
    Value axis = op.e.constLongs(o.axis());
    for (int i = 0; i < op.inputCount(); i++) {
      ins.add(op.e.node("Unsqueeze", List.of(op.val(i), axis), Map.of(), null));
    }
    op.define(0, op.e.node("Concat", ins, Map.of("axis", new Attribute.IntAttr(o.axis())), null));
  }

  static void unpack(Op op) {
    UnpackOptions o = op.options(new UnpackOptions());
    int n = op.outputCount();
    List<Value> parts = op.e.nodeN("Split", List.of(op.val(0)),
        Map.of("axis", new Attribute.IntAttr(o.axis()), "num_outputs", new Attribute.IntAttr(n)),
        n, null);
    Value axis = op.e.constLongs(o.axis());
    for (int i = 0; i < n; i++) {
      op.define(i, op.e.node("Squeeze", List.of(parts.get(i), axis), Map.of(), null));
    }
  }

  /** SPLIT (axis, input) into equal parts; SPLIT_V (input, sizes, axis). */
  static void split(Op op, boolean sizes) {
    int n = op.outputCount();
    long axis;
    Value x;
    List<Value> ins = new ArrayList<>();
    if (sizes) {
      x = op.val(0);
      long[] s = op.e.constInts(op.required(1), "the split sizes");
      axis = op.e.constInts(op.required(2), "the axis")[0];
      long dim = op.e.shape(op.required(0))[(int) ((axis + op.e.shape(op.in(0)).length)
          % op.e.shape(op.in(0)).length)];
      long known = 0;
      int unknown = -1;
      for (int i = 0; i < s.length; i++) {
        if (s[i] < 0) {
          unknown = i;
        } else {
          known += s[i];
        }
      }
      if (unknown >= 0) {
        s[unknown] = dim - known;
      }
      ins.add(x);
      ins.add(op.e.constLongs(s));
    } else {
      axis = op.e.constInts(op.required(0), "the axis")[0];
      SplitOptions o = op.options(new SplitOptions());
      if (o != null && o.numSplits() != n) {
        throw op.unsupported("num_splits " + o.numSplits() + " but " + n + " outputs");
      }
      ins.add(op.val(1));
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("axis", new Attribute.IntAttr(axis));
    if (!sizes) {
      attrs.put("num_outputs", new Attribute.IntAttr(n));
    }
    List<Value> parts = op.e.nodeN("Split", ins, attrs, n, null);
    for (int i = 0; i < n; i++) {
      op.define(i, parts.get(i));
    }
  }

  /** PAD / PADV2 (constant) and MIRROR_PAD (reflect). Paddings are [rank, 2] begin/end pairs. */
  static void pad(Op op, boolean mirror) {
    long[] p = op.e.constInts(op.required(1), "the paddings");
    int rank = p.length / 2;
    long[] pads = new long[p.length];
    for (int i = 0; i < rank; i++) {
      pads[i] = p[2 * i];
      pads[rank + i] = p[2 * i + 1];
    }
    List<Value> ins = new ArrayList<>(List.of(op.val(0), op.e.constLongs(pads)));
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    if (mirror) {
      MirrorPadOptions o = op.options(new MirrorPadOptions());
      if (o != null && o.mode() == MirrorPadMode.SYMMETRIC) {
        throw op.unsupported("SYMMETRIC mirror padding has no ONNX Pad mode");
      }
      attrs.put("mode", Attribute.StringAttr.of("reflect"));
    } else if (op.has(2)) {
      ins.add(op.val(2));
    }
    op.define(0, op.e.node("Pad", ins, attrs, null));
  }

  static void transpose(Op op) {
    long[] perm = op.e.constInts(op.required(1), "the permutation");
    op.define(0, op.e.node("Transpose", List.of(op.val(0)),
        Map.of("perm", new Attribute.IntsAttr(perm)), null));
  }

  static void slice(Op op) {
    long[] begin = op.e.constInts(op.required(1), "the begin");
    long[] size = op.e.constInts(op.required(2), "the size");
    long[] end = new long[begin.length];
    for (int i = 0; i < end.length; i++) {
      end[i] = size[i] < 0 ? Long.MAX_VALUE : begin[i] + size[i];
    }
    op.define(0, op.e.node("Slice", List.of(op.val(0), op.e.constLongs(begin),
        op.e.constLongs(end)), Map.of(), null));
  }

  static void stridedSlice(Op op) {
    StridedSliceOptions o = op.options(new StridedSliceOptions());
    int beginMask = o == null ? 0 : o.beginMask();
    int endMask = o == null ? 0 : o.endMask();
    int shrink = o == null ? 0 : o.shrinkAxisMask();
    if (o != null && (o.ellipsisMask() != 0 || o.newAxisMask() != 0)) {
      throw op.unsupported("ellipsis and new-axis masks are not imported");
    }
    boolean offset = o != null && o.offset();
    long[] begin = op.e.constInts(op.required(1), "the begin");
    long[] end = op.e.constInts(op.required(2), "the end");
    long[] strides = op.has(3) ? op.e.constInts(op.in(3), "the strides") : null;
    int n = begin.length;
    long[] starts = new long[n];
    long[] ends = new long[n];
    long[] steps = new long[n];
    long[] axes = new long[n];
    List<Long> squeeze = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long step = strides == null ? 1 : strides[i];
      if (step == 0) {
        throw op.unsupported("stride 0 on axis " + i);
      }
      axes[i] = i;
      steps[i] = step;
      starts[i] = (beginMask >> i & 1) != 0 ? (step > 0 ? 0 : Long.MAX_VALUE) : begin[i];
      long e = offset ? begin[i] + end[i] : end[i];
      ends[i] = (endMask >> i & 1) != 0 ? (step > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : e;
      if ((shrink >> i & 1) != 0) {
        // A shrunk axis takes exactly the element at begin.
        starts[i] = begin[i];
        ends[i] = begin[i] == -1 ? Long.MAX_VALUE : begin[i] + 1;
        steps[i] = 1;
        squeeze.add((long) i);
      }
    }
    Value y = op.e.node("Slice", List.of(op.val(0), op.e.constLongs(starts),
        op.e.constLongs(ends), op.e.constLongs(axes), op.e.constLongs(steps)), Map.of(), null);
    if (!squeeze.isEmpty()) {
      y = op.e.node("Squeeze", List.of(y, op.e.constLongs(
          squeeze.stream().mapToLong(Long::longValue).toArray())), Map.of(), null);
    }
    op.define(0, y);
  }

  static void gather(Op op) {
    GatherOptions o = op.options(new GatherOptions());
    if (o != null && o.batchDims() != 0) {
      throw op.unsupported("batch_dims " + o.batchDims() + " is not imported");
    }
    op.define(0, op.e.node("Gather", List.of(op.val(0), op.e.raw(op.required(1))),
        Map.of("axis", new Attribute.IntAttr(o == null ? 0 : o.axis())), null));
  }

  static void tile(Op op) {
    Value reps = op.e.cast(op.e.raw(op.required(1)), dev.convoy.ir.graph.DType.INT64);
    op.define(0, op.e.node("Tile", List.of(op.val(0), reps), Map.of(), null));
  }

  static void broadcastTo(Op op) {
    Value shape = op.e.cast(op.e.raw(op.required(1)), dev.convoy.ir.graph.DType.INT64);
    op.define(0, op.e.node("Expand", List.of(op.val(0), shape), Map.of(), null));
  }
}

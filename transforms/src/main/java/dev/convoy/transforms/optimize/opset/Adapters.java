package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Rewriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every signature change of a default-domain op between opsets 7 and the newest that Convoy
 * converts: attributes that became inputs (axes, split, pads, starts/ends, Clip bounds, ratio, k,
 * scales), renamed or replaced ops (Upsample to Resize, Scatter to ScatterElements), changed
 * semantics (Softmax's axis from 13, Resize's coordinates from 11, GridSample's mode names from
 * 20), and attributes or inputs added later that an older version lacks (going down, a node may
 * only use them at their defaults). Ops whose later versions only add element types need none.
 */
final class Adapters {
  private Adapters() {}

  static final List<Adapter> ALL = build();

  private static List<Adapter> build() {
    List<Adapter> a = new ArrayList<>();
    a.add(new AttrToInput("Squeeze", 13, "axes", 1, true));
    a.add(new AttrToInput("Unsqueeze", 13, "axes", 1, false));
    a.add(new AttrToInput("Split", 13, "split", 1, false));
    a.add(new AttrToInput("ReduceSum", 13, "axes", 1, true));
    for (String r : List.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
        "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")) {
      a.add(new AttrToInput(r, 18, "axes", 1, true));
    }
    a.add(new AttrsToInputs("Slice", 10, List.of("starts", "ends", "axes"), 1));
    a.add(new AttrsToInputs("TopK", 10, List.of("k"), 1) {
      @Override
      Value constant(Node n, Rewriter rw, String attr, Attribute value) {
        long k = ((Attribute.IntAttr) value).value();
        return rw.constant(n.graph(), Tensor.ofLongs(new long[] {1}, k), n.name() + "_k");
      }

      @Override
      Attribute attribute(Node n, int index, Value v) {
        long[] k = constLongs(v);
        return k == null || k.length != 1 ? null : new Attribute.IntAttr(k[0]);
      }
    });
    a.add(new ScalarAttrsToInputs("Clip", 11, List.of("min", "max"), 1));
    a.add(new ScalarAttrsToInputs("Dropout", 12, List.of("ratio"), 1) {
      @Override
      DType dtype(Node n) {
        return DType.FLOAT;
      }

      @Override
      boolean droppable(Value trainingMode) {
        Tensor t = constantTensor(trainingMode);
        return t != null && t.numElements() == 1 && t.toDoubleArray()[0] == 0;
      }
    });
    a.add(new Pad11());
    a.add(new DropoutMask());
    a.add(new FloatsToInput("Upsample", 9, "scales", 1));
    a.add(new Rename("Upsample", "Resize", 10));
    a.add(new Rename("Scatter", "ScatterElements", 11));
    a.add(new Resize11());
    a.add(new Resize13());
    for (String s : List.of("Softmax", "LogSoftmax", "Hardmax")) {
      a.add(new SoftmaxAxis(s));
    }
    a.add(new Simple("BatchNormalization", 9) {
      @Override
      public void up(Node n, Rewriter rw) {
        if (n.intAttr("spatial", 1) != 1) {
          throw Adapter.cannot(n, 9, "spatial=0 has no equivalent");
        }
        if (n.hasAttribute("spatial")) {
          rw.removeAttribute(n, "spatial");
        }
      }
    });
    a.add(new AddedAttribute("BatchNormalization", 14, "training_mode", 0L));
    a.add(new Simple("GridSample", 20) {
      private static final Map<String, String> RENAMED = Map.of("bilinear", "linear", "bicubic", "cubic");

      @Override
      public void up(Node n, Rewriter rw) {
        String mode = n.stringAttr("mode", "bilinear");
        rw.setAttribute(n, "mode", Attribute.StringAttr.of(RENAMED.getOrDefault(mode, mode)));
      }

      @Override
      public void down(Node n, Rewriter rw) {
        String mode = n.stringAttr("mode", "linear");
        for (var e : RENAMED.entrySet()) {
          if (e.getValue().equals(mode)) {
            mode = e.getKey();
          }
        }
        rw.setAttribute(n, "mode", Attribute.StringAttr.of(mode));
      }
    });
    a.add(new Simple("Split", 18) {
      // from 18 a Split without sizes must say how many parts it makes
      @Override
      public void up(Node n, Rewriter rw) {
        if (input(n, 1) == null && !n.hasAttribute("num_outputs")) {
          rw.setAttribute(n, "num_outputs", new Attribute.IntAttr(n.outputCount()));
        }
      }

      @Override
      public void down(Node n, Rewriter rw) {
        if (!n.hasAttribute("num_outputs")) {
          return;
        }
        long[] dims = Facts.staticDims(n.input(0));
        long axis = n.intAttr("axis", 0);
        if (n.input(1) == null && (dims == null
            || dims[(int) (axis < 0 ? axis + dims.length : axis)] % n.outputCount() != 0)) {
          throw Adapter.cannot(n, 17, "num_outputs with an uneven split");
        }
        rw.removeAttribute(n, "num_outputs");
      }
    });
    a.add(new AddedInput("Pad", 18, 3));
    a.add(new AddedAttribute("Pad", 19, "mode", "constant", "reflect", "edge"));
    a.add(new AddedAttribute("Resize", 18, "antialias", 0L));
    a.add(new AddedAttribute("Resize", 18, "axes"));
    a.add(new AddedAttribute("Resize", 18, "keep_aspect_ratio_policy", "stretch"));
    a.add(new AddedAttribute("Resize", 19, "coordinate_transformation_mode", "half_pixel",
        "asymmetric", "pytorch_half_pixel", "tf_crop_and_resize", "align_corners"));
    a.add(new AddedAttribute("AveragePool", 19, "dilations"));
    a.add(new AveragePoolCeilWindows());
    a.add(new AddedAttribute("Cast", 19, "saturate", 1L));
    a.add(new AddedAttribute("Reshape", 14, "allowzero", 0L));
    a.add(new AddedAttribute("ArgMax", 12, "select_last_index", 0L));
    a.add(new AddedAttribute("ArgMin", 12, "select_last_index", 0L));
    a.add(new AddedAttribute("Dropout", 12, "seed"));
    a.add(new AddedAttribute("LpPool", 18, "dilations"));
    a.add(new AddedAttribute("LpPool", 11, "pads"));
    a.add(new AddedAttribute("GatherND", 12, "batch_dims", 0L));
    a.add(new AddedAttribute("Shape", 15, "start", 0L));
    a.add(new AddedAttribute("Shape", 15, "end"));
    for (String r : List.of("RNN", "GRU", "LSTM")) {
      a.add(new AddedAttribute(r, 14, "layout", 0L));
    }
    a.add(new AddedAttribute("QuantizeLinear", 19, "saturate", 1L));
    a.add(new AddedAttribute("QuantizeLinear", 21, "block_size", 0L));
    a.add(new AddedAttribute("QuantizeLinear", 21, "output_dtype", 0L));
    a.add(new AddedAttribute("DequantizeLinear", 21, "block_size", 0L));
    a.add(new PerAxisQuantization("QuantizeLinear"));
    a.add(new PerAxisQuantization("DequantizeLinear"));
    a.add(new AddedAttribute("ScatterElements", 16, "reduction", "none"));
    a.add(new AddedAttribute("ScatterND", 16, "reduction", "none"));
    a.add(new AddedAttribute("MaxPool", 10, "ceil_mode", 0L));
    a.add(new AddedAttribute("AveragePool", 10, "ceil_mode", 0L));
    for (String attr : List.of("value_float", "value_floats", "value_int", "value_ints",
        "value_string", "value_strings")) {
      a.add(new AddedAttribute("Constant", 12, attr));
    }
    a.add(new AddedAttribute("Constant", 11, "sparse_value"));
    a.add(new Simple("Gemm", 11) {
      @Override
      public void down(Node n, Rewriter rw) {
        if (n.inputCount() < 3 || n.input(2) == null) {
          throw Adapter.cannot(n, 10, "Gemm without C");
        }
      }
    });
    a.add(new Unconvertible("GroupNormalization", 21, "scale and bias per group became per channel"));
    a.add(new Unconvertible("DFT", 20, "the axis attribute became an input"));
    a.add(new Unconvertible("Scan", 9, "Scan 8 has a batch axis and sequence lengths"));
    for (String op : List.of("Max", "Min", "Sum", "Mean")) {
      a.add(new Simple(op, 8) {
        @Override
        public void down(Node n, Rewriter rw) {
          throw Adapter.cannot(n, 7, "multidirectional broadcasting needs opset 8");
        }
      });
    }
    return List.copyOf(a);
  }

  // ---- helpers ----

  /** Sets input {@code index} of {@code n} (padding with omitted inputs), trimming trailing ones. */
  static void setInput(Node n, Rewriter rw, int index, Value v) {
    List<Value> in = new ArrayList<>(n.inputs());
    while (in.size() <= index) {
      in.add(null);
    }
    in.set(index, v);
    while (!in.isEmpty() && in.get(in.size() - 1) == null) {
      in.remove(in.size() - 1);
    }
    rw.setInputs(n, in);
  }

  /** The tensor of a constant input: an initializer or a Constant node's value. */
  static Tensor constantTensor(Value v) {
    if (v == null) {
      return null;
    }
    if (v.constant() != null) {
      return v.constant();
    }
    Node p = v.producer();
    return p != null && p.is("Constant") && p.attribute("value").orElse(null)
        instanceof Attribute.TensorAttr t ? t.value() : null;
  }

  /** The integers of a constant integer input, or null. */
  static long[] constLongs(Value v) {
    Tensor t = constantTensor(v);
    return t == null || !t.dtype().isInteger() ? null : t.toLongArray();
  }

  static Value input(Node n, int index) {
    return index < n.inputCount() ? n.input(index) : null;
  }

  static Value longs(Node n, Rewriter rw, long[] values, String hint) {
    return rw.constant(n.graph(), Tensor.ofLongs(new long[] {values.length}, values),
        n.name() + "_" + hint);
  }

  /** A one-element tensor of {@code dtype} (rank 0) holding {@code x}, or null for other types. */
  static Tensor scalar(DType dtype, double x) {
    return switch (dtype) {
      case FLOAT -> Tensor.ofFloats(new long[0], (float) x);
      case DOUBLE -> Tensor.ofDoubles(new long[0], x);
      case FLOAT16 -> half(HalfFloats.fromFloat((float) x));
      case BFLOAT16 -> half(HalfFloats.bfloat16FromFloat((float) x));
      default -> null;
    };
  }

  private static Tensor half(short bits) {
    ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(bits);
    return Tensor.of(DType.FLOAT16, new long[0], b.flip());
  }

  // ---- adapters ----

  /** Base: no change in either direction unless overridden. */
  abstract static class Simple implements Adapter {
    private final String op;
    private final int version;

    Simple(String op, int version) {
      this.op = op;
      this.version = version;
    }

    @Override
    public String op() {
      return op;
    }

    @Override
    public int version() {
      return version;
    }

    @Override
    public void up(Node n, Rewriter rw) {}

    @Override
    public void down(Node n, Rewriter rw) {}
  }

  /** An integer-list attribute that became input {@code index} (axes, split). */
  static final class AttrToInput extends Simple {
    private final String attr;
    private final int index;
    private final boolean emptyMeansAbsent;

    AttrToInput(String op, int version, String attr, int index, boolean emptyMeansAbsent) {
      super(op, version);
      this.attr = attr;
      this.index = index;
      this.emptyMeansAbsent = emptyMeansAbsent;
    }

    @Override
    public void up(Node n, Rewriter rw) {
      long[] values = n.intsAttr(attr);
      if (values != null) {
        setInput(n, rw, index, longs(n, rw, values, attr));
        rw.removeAttribute(n, attr);
      }
    }

    @Override
    public void down(Node n, Rewriter rw) {
      boolean noop = n.intAttr("noop_with_empty_axes", 0) != 0;
      Value v = input(n, index);
      if (v == null) {
        if (noop) {
          throw Adapter.cannot(n, version() - 1, "noop_with_empty_axes without axes");
        }
        return;
      }
      long[] values = constLongs(v);
      if (values == null) {
        throw Adapter.cannot(n, version() - 1, "its " + attr + " input is not a constant");
      }
      if (values.length == 0 && (noop || !emptyMeansAbsent)) {
        throw Adapter.cannot(n, version() - 1, "empty " + attr);
      }
      setInput(n, rw, index, null);
      if (values.length > 0) {
        rw.setAttribute(n, attr, new Attribute.IntsAttr(values));
      }
      if (n.hasAttribute("noop_with_empty_axes")) {
        rw.removeAttribute(n, "noop_with_empty_axes");
      }
    }
  }

  /** Several attributes that became inputs from {@code first} on, in order (Slice, TopK). */
  static class AttrsToInputs extends Simple {
    private final List<String> attrs;
    private final int first;

    AttrsToInputs(String op, int version, List<String> attrs, int first) {
      super(op, version);
      this.attrs = attrs;
      this.first = first;
    }

    Value constant(Node n, Rewriter rw, String attr, Attribute value) {
      return longs(n, rw, ((Attribute.IntsAttr) value).values(), attr);
    }

    Attribute attribute(Node n, int index, Value v) {
      long[] values = constLongs(v);
      return values == null ? null : new Attribute.IntsAttr(values);
    }

    DType dtype(Node n) {
      return Facts.dtype(n.input(0));
    }

    @Override
    public void up(Node n, Rewriter rw) {
      for (int i = 0; i < attrs.size(); i++) {
        var value = n.attribute(attrs.get(i));
        if (value.isPresent()) {
          setInput(n, rw, first + i, constant(n, rw, attrs.get(i), value.get()));
          rw.removeAttribute(n, attrs.get(i));
        }
      }
    }

    @Override
    public void down(Node n, Rewriter rw) {
      for (int i = first + attrs.size(); i < n.inputCount(); i++) {
        if (n.input(i) != null && !droppable(n.input(i))) {
          throw Adapter.cannot(n, version() - 1, "input " + i + " has no older equivalent");
        }
      }
      List<Attribute> values = new ArrayList<>();
      for (int i = 0; i < attrs.size(); i++) {
        Value v = input(n, first + i);
        Attribute a = v == null ? null : attribute(n, first + i, v);
        if (v != null && a == null) {
          throw Adapter.cannot(n, version() - 1, "its " + attrs.get(i) + " input is not a constant");
        }
        values.add(a);
      }
      setInput(n, rw, first, null);
      List<Value> in = new ArrayList<>(n.inputs().subList(0, Math.min(first, n.inputCount())));
      rw.setInputs(n, in);
      for (int i = 0; i < attrs.size(); i++) {
        if (values.get(i) != null) {
          rw.setAttribute(n, attrs.get(i), values.get(i));
        }
      }
    }

    /** Whether a newer input past the converted ones may go (Slice's steps when all ones). */
    boolean droppable(Value v) {
      long[] s = constLongs(v);
      return s != null && Arrays.stream(s).allMatch(x -> x == 1);
    }
  }

  /** Float attributes that became scalar inputs of the data's element type (Clip, Dropout). */
  static class ScalarAttrsToInputs extends AttrsToInputs {
    ScalarAttrsToInputs(String op, int version, List<String> attrs, int first) {
      super(op, version, attrs, first);
    }

    @Override
    Value constant(Node n, Rewriter rw, String attr, Attribute value) {
      DType t = dtype(n);
      Tensor s = t == null ? null : scalar(t, ((Attribute.FloatAttr) value).value());
      if (s == null) {
        throw Adapter.cannot(n, version(), "the element type of its input is not known");
      }
      return rw.constant(n.graph(), s, n.name() + "_" + attr);
    }

    @Override
    Attribute attribute(Node n, int index, Value v) {
      Tensor t = constantTensor(v);
      return t == null || t.numElements() != 1 || !t.dtype().isFloatingPoint()
          ? null : new Attribute.FloatAttr((float) t.toDoubleArray()[0]);
    }
  }

  /** A float-list attribute that became a float input (Upsample's scales). */
  static final class FloatsToInput extends Simple {
    private final String attr;
    private final int index;

    FloatsToInput(String op, int version, String attr, int index) {
      super(op, version);
      this.attr = attr;
      this.index = index;
    }

    @Override
    public void up(Node n, Rewriter rw) {
      var a = n.attribute(attr);
      if (a.isPresent()) {
        float[] f = ((Attribute.FloatsAttr) a.get()).values();
        setInput(n, rw, index, rw.constant(n.graph(), Tensor.ofFloats(new long[] {f.length}, f),
            n.name() + "_" + attr));
        rw.removeAttribute(n, attr);
      }
    }

    @Override
    public void down(Node n, Rewriter rw) {
      Tensor t = constantTensor(input(n, index));
      if (t == null || t.dtype() != DType.FLOAT) {
        throw Adapter.cannot(n, version() - 1, "its " + attr + " input is not a float constant");
      }
      setInput(n, rw, index, null);
      rw.setAttribute(n, attr, new Attribute.FloatsAttr(t.toFloatArray()));
    }
  }

  /** An op replaced by another of the same signature at {@code version}. */
  static final class Rename extends Simple {
    private final String to;

    Rename(String from, String to, int version) {
      super(from, version);
      this.to = to;
    }

    @Override
    public String downOp() {
      return to;
    }

    @Override
    public void up(Node n, Rewriter rw) {
      rw.setOpType(n, to);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      rw.setOpType(n, op());
    }
  }

  /** Dropout's optional mask output became bool at 10 (it was of the data's type). */
  static final class DropoutMask extends Simple {
    DropoutMask() {
      super("Dropout", 10);
    }

    @Override
    public void up(Node n, Rewriter rw) {
      retype(n, DType.BOOL, 10, rw);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      retype(n, Facts.dtype(n.input(0)), 9, rw);
    }

    private static void retype(Node n, DType dtype, int version, Rewriter rw) {
      Value mask = n.outputCount() > 1 ? n.output(1) : null;
      if (mask == null) {
        return;
      }
      if (mask.hasUses() || mask.isGraphOutput() || dtype == null) {
        throw Adapter.cannot(n, version, "its mask output is read and changes type");
      }
      var t = mask.tensorType();
      rw.setType(mask, t == null ? null : new ValueType.TensorType(dtype, t.shape()));
    }
  }

  /** Pad's pads and value attributes became inputs at 11. */
  static final class Pad11 extends Simple {
    Pad11() {
      super("Pad", 11);
    }

    @Override
    public void up(Node n, Rewriter rw) {
      long[] pads = n.intsAttr("pads");
      if (pads == null) {
        throw Adapter.cannot(n, 11, "no pads");
      }
      setInput(n, rw, 1, longs(n, rw, pads, "pads"));
      rw.removeAttribute(n, "pads");
      float value = n.floatAttr("value", 0f);
      if (n.hasAttribute("value")) {
        rw.removeAttribute(n, "value");
      }
      if (value != 0f) {
        DType t = Facts.dtype(n.input(0));
        Tensor s = t == null ? null : scalar(t, value);
        if (s == null) {
          throw Adapter.cannot(n, 11, "the element type of its input is not known");
        }
        setInput(n, rw, 2, rw.constant(n.graph(), s, n.name() + "_value"));
      }
    }

    @Override
    public void down(Node n, Rewriter rw) {
      long[] pads = constLongs(input(n, 1));
      if (pads == null) {
        throw Adapter.cannot(n, 10, "its pads input is not a constant");
      }
      Value cv = input(n, 2);
      Tensor value = constantTensor(cv);
      if (cv != null && (value == null || !value.dtype().isFloatingPoint())) {
        throw Adapter.cannot(n, 10, "its constant_value input is not a float constant");
      }
      rw.setInputs(n, List.of(n.input(0)));
      rw.setAttribute(n, "pads", new Attribute.IntsAttr(pads));
      if (value != null && value.toDoubleArray()[0] != 0) {
        rw.setAttribute(n, "value", new Attribute.FloatAttr((float) value.toDoubleArray()[0]));
      }
    }
  }

  /**
   * Resize 11 added the roi input and coordinate modes; Resize 10 computes what 11 calls
   * asymmetric coordinates with nearest rounding down.
   */
  static final class Resize11 extends Simple {
    Resize11() {
      super("Resize", 11);
    }

    @Override
    public void up(Node n, Rewriter rw) {
      Value roi = rw.constant(n.graph(), Tensor.ofFloats(new long[] {0}), n.name() + "_roi");
      rw.setInputs(n, List.of(n.input(0), roi, n.input(1)));
      rw.setAttribute(n, "coordinate_transformation_mode", Attribute.StringAttr.of("asymmetric"));
      if (n.stringAttr("mode", "nearest").equals("nearest")) {
        rw.setAttribute(n, "nearest_mode", Attribute.StringAttr.of("floor"));
      }
    }

    @Override
    public void down(Node n, Rewriter rw) {
      String mode = n.stringAttr("mode", "nearest");
      if (!n.stringAttr("coordinate_transformation_mode", "half_pixel").equals("asymmetric")
          || mode.equals("cubic")
          || mode.equals("nearest") && !n.stringAttr("nearest_mode", "round_prefer_floor").equals("floor")
          || n.intAttr("exclude_outside", 0) != 0
          || input(n, 3) != null || input(n, 2) == null) {
        throw Adapter.cannot(n, 10, "coordinates or inputs Resize 10 cannot express");
      }
      rw.setInputs(n, List.of(n.input(0), n.input(2)));
      for (String a : List.of("coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
          "exclude_outside", "extrapolation_value")) {
        if (n.hasAttribute(a)) {
          rw.removeAttribute(n, a);
        }
      }
    }
  }

  /** Resize 13 made roi and scales optional; 11 needs them present (empty when unused). */
  static final class Resize13 extends Simple {
    Resize13() {
      super("Resize", 13);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      for (int i = 1; i <= 2; i++) {
        if (input(n, i) == null) {
          setInput(n, rw, i,
              rw.constant(n.graph(), Tensor.ofFloats(new long[] {0}), n.name() + "_empty"));
        }
      }
    }
  }

  /**
   * Before 13, Softmax (and LogSoftmax, Hardmax) flattened the input to 2-D at {@code axis}
   * (default 1); from 13 it normalizes along {@code axis} alone (default -1). The two agree when
   * the axis is the last one; otherwise going up flattens explicitly.
   */
  static final class SoftmaxAxis extends Simple {
    SoftmaxAxis(String op) {
      super(op, 13);
    }

    @Override
    public void up(Node n, Rewriter rw) {
      int rank = Facts.rank(n.input(0));
      long axis = n.intAttr("axis", 1);
      if (rank < 0) {
        throw Adapter.cannot(n, 13, "the rank of its input is not known");
      }
      long a = axis < 0 ? axis + rank : axis;
      if (a == rank - 1) {
        rw.setAttribute(n, "axis", new Attribute.IntAttr(-1));
        return;
      }
      Value x = n.input(0);
      String y = n.output(0).name();
      Node shape = rw.insertBefore(n, "Shape", List.of(x), 1, Map.of(), x.name() + "_shape");
      Node flat = rw.insertBefore(n, "Flatten", List.of(x), 1,
          Map.of("axis", new Attribute.IntAttr(a)), x.name() + "_2d");
      Node flatSoftmax = rw.insertBefore(n, n.opType(), List.of(flat.output(0)), 1,
          Map.of("axis", new Attribute.IntAttr(-1)), y + "_2d");
      rw.setName(flatSoftmax, n.name());
      Node reshape = rw.insertBefore(n, "Reshape",
          List.of(flatSoftmax.output(0), shape.output(0)), 1, Map.of(), y);
      rw.replace(n.output(0), reshape.output(0));
      rw.erase(n);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      int rank = Facts.rank(n.input(0));
      long axis = n.intAttr("axis", -1);
      if (rank < 0 || (axis < 0 ? axis + rank : axis) != rank - 1) {
        throw Adapter.cannot(n, 12, "an axis that is not the last (or a rank not known)");
      }
      rw.setAttribute(n, "axis", new Attribute.IntAttr(rank - 1));
    }
  }

  /** Quantize/DequantizeLinear got per-axis scales at 13. */
  static final class PerAxisQuantization extends Simple {
    PerAxisQuantization(String op) {
      super(op, 13);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      Tensor scale = constantTensor(n.input(1));
      if (scale == null || scale.numElements() != 1) {
        throw Adapter.cannot(n, 12, "per-axis or non-constant scales");
      }
      if (n.hasAttribute("axis")) {
        rw.removeAttribute(n, "axis");
      }
    }
  }

  /** An attribute added at {@code version}: going down it may only hold an allowed value. */
  static final class AddedAttribute extends Simple {
    private final String attr;
    private final List<Object> allowed;

    AddedAttribute(String op, int version, String attr, Object... allowed) {
      super(op, version);
      this.attr = attr;
      this.allowed = List.of(allowed);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      var a = n.attribute(attr);
      if (a.isEmpty()) {
        return;
      }
      Object v = a.get() instanceof Attribute.IntAttr i ? (Object) i.value()
          : a.get() instanceof Attribute.StringAttr s ? s.text() : a.get();
      if (!allowed.contains(v)) {
        throw Adapter.cannot(n, version() - 1, "attribute " + attr + "=" + v + " is newer");
      }
      if (allowed.get(0).equals(v)) {
        rw.removeAttribute(n, attr);
      }
    }
  }

  /** A change Convoy does not convert in either direction. */
  static final class Unconvertible extends Simple {
    private final String why;

    Unconvertible(String op, int version, String why) {
      super(op, version);
      this.why = why;
    }

    @Override
    public void up(Node n, Rewriter rw) {
      throw Adapter.cannot(n, version(), why);
    }

    @Override
    public void down(Node n, Rewriter rw) {
      throw Adapter.cannot(n, version() - 1, why);
    }
  }

  /** An input added at {@code index} in {@code version}: going down it must be absent. */
  static final class AddedInput extends Simple {
    private final int index;

    AddedInput(String op, int version, int index) {
      super(op, version);
      this.index = index;
    }

    @Override
    public void down(Node n, Rewriter rw) {
      if (input(n, index) != null) {
        throw Adapter.cannot(n, version() - 1, "input " + index + " is newer");
      }
    }
  }
}

package dev.convoy.ir.text;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hand-built graphs that together hold every kind of thing the IR can carry, for round-trip tests
 * of the text form and the .cvy format.
 */
public final class SampleGraphs {
  private SampleGraphs() {}

  /** Every sample, by a name a failing test can report. */
  public static Map<String, Graph> all() {
    Map<String, Graph> m = new LinkedHashMap<>();
    m.put("conv", conv());
    m.put("everyValueType", everyValueType());
    m.put("everyDType", everyDType());
    m.put("floatEdgeCases", floatEdgeCases());
    m.put("everyAttributeKind", everyAttributeKind());
    m.put("subgraphsCapturingOuterValues", subgraphsCapturingOuterValues());
    m.put("omittedInputsAndOutputs", omittedInputsAndOutputs());
    m.put("oddNamesAndDocs", oddNamesAndDocs());
    m.put("bigTensors", bigTensors());
    m.put("initializerTypeDiffersFromTensor", initializerTypeDiffersFromTensor());
    m.put("empty", new Graph());
    return m;
  }

  static ValueType.TensorType t(DType dt, Object... dims) {
    List<Dim> ds = new ArrayList<>();
    for (Object d : dims) {
      ds.add(d instanceof String s ? (s.equals("?") ? Dim.UNKNOWN : Dim.of(s))
          : Dim.of(((Number) d).longValue()));
    }
    return new ValueType.TensorType(dt, Shape.of(ds));
  }

  static Node node(Graph g, String op, List<Value> ins, List<String> outs,
      Map<String, Attribute> attrs) {
    return g.addNode("", op, ins, outs, attrs);
  }

  /** The example of the text-form documentation. */
  public static Graph conv() {
    Graph g = new Graph();
    g.setName("main_graph");
    g.opsets().put("", 13L);
    g.opsets().put("com.microsoft", 1L);
    Value x = g.addInput("x", t(DType.FLOAT, "N", 3, 224, 224));
    Value w = g.addInitializer("w", Tensor.ofFloats(new long[] {2, 3, 1, 1},
        floats(6, 0.25f)));
    Node conv = node(g, "Conv", List.of(x, w), List.of("a"),
        Map.of("kernel_shape", Attribute.of(1L, 1L), "pads", Attribute.of(0L, 0L, 0L, 0L)));
    conv.setName("conv1");
    conv.output(0).setType(t(DType.FLOAT, "N", 2, 224, 224));
    Node gelu = g.addNode("com.microsoft", "Gelu", List.of(conv.output(0)), List.of("y"), null);
    gelu.output(0).setType(t(DType.FLOAT, "N", 2, 224, 224));
    g.addOutput(gelu.output(0));
    return g;
  }

  static float[] floats(int n, float step) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      f[i] = (i - n / 2) * step;
    }
    return f;
  }

  /** Inputs of every value type: static, symbolic, unknown dims, unknown rank, seq, ... */
  public static Graph everyValueType() {
    Graph g = new Graph();
    g.setName("types");
    g.opsets().put("", 18L);
    g.setInfo(new ModelInfo(7, "pytorch", "1.13.1", "ai.convoy", 3, "a model\nwith doc"));
    g.metadata().put("author", "someone");
    g.metadata().put("empty", "");
    List<ValueType> types = List.of(
        t(DType.FLOAT, 1, 3, 224, 224),
        t(DType.INT64, "batch", "?", 7),
        new ValueType.TensorType(DType.FLOAT16, Shape.unknownRank()),
        new ValueType.TensorType(DType.BOOL, Shape.scalar()),
        new ValueType.SequenceType(t(DType.FLOAT, "N")),
        new ValueType.SequenceType(null),
        new ValueType.OptionalType(new ValueType.SequenceType(t(DType.INT32, 2))),
        new ValueType.MapType(DType.STRING, t(DType.FLOAT, 1)),
        new ValueType.MapType(DType.INT64, new ValueType.SequenceType(
            new ValueType.MapType(DType.STRING, t(DType.DOUBLE)))),
        t(DType.UINT8, "weird dim", "0x", "?"),
        t(DType.STRING, 0));
    List<Value> ins = new ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      ins.add(g.addInput("in" + i, types.get(i)));
    }
    ins.add(g.addInput("untyped", null));
    Node n = g.addNode("", "Custom", ins, List.of("out_seq", "out_untyped"), null);
    n.output(0).setType(new ValueType.SequenceType(t(DType.FLOAT, "N")));
    g.addOutput(n.output(0));
    g.addOutput(n.output(1));
    g.addOutput(ins.get(0));
    return g;
  }

  /** One initializer of every element type, including those without a literal spelling. */
  public static Graph everyDType() {
    Graph g = new Graph();
    g.setName("dtypes");
    Value prev = null;
    for (DType dt : DType.values()) {
      long[] dims = {2, 3};
      Tensor tensor;
      if (dt == DType.STRING) {
        tensor = Tensor.ofStrings(dims, new byte[][] {
            "a".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xff, 0, '"', '\\'},
            "ünï\u20ac😀".getBytes(StandardCharsets.UTF_8), new byte[0],
            "tab\tnew\nline".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xc2, (byte) 0x80}});
      } else {
        byte[] bytes = new byte[(int) dt.storageBytes(6)];
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (i * 37 + dt.ordinal());
        }
        if (dt == DType.BOOL) {
          bytes = new byte[] {0, 1, 1, 0, 2, (byte) 255};
        }
        tensor = Tensor.ofBytes(dt, dims, bytes);
      }
      Value v = g.addInitializer("c_" + dt.textName(), tensor);
      if (prev != null) {
        Node n = node(g, "Use", List.of(prev, v), List.of("u_" + dt.textName()), null);
        prev = n.output(0);
      } else {
        prev = v;
      }
    }
    g.addOutput(prev);
    return g;
  }

  /** Float values whose exact bits a text form easily loses. */
  public static Graph floatEdgeCases() {
    Graph g = new Graph();
    g.setName("floats");
    float[] f = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(
        0xffc00000), Float.intBitsToFloat(0x7f800001), Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE, -Float.MIN_NORMAL, 0.1f,
        1e-5f, 123456789f, 1f / 3f};
    ByteBuffer fb = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : f) {
      fb.putInt(Float.floatToRawIntBits(v));
    }
    g.addInitializer("f32", Tensor.ofBytes(DType.FLOAT, new long[] {f.length}, fb.array()));
    double[] d = {0.0, -0.0, Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
        Double.POSITIVE_INFINITY, Double.MIN_VALUE, 0.1, Math.PI, -1e300};
    ByteBuffer db = ByteBuffer.allocate(8 * d.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : d) {
      db.putLong(Double.doubleToRawLongBits(v));
    }
    g.addInitializer("f64", Tensor.ofBytes(DType.DOUBLE, new long[] {d.length}, db.array()));
    short[] halves = {0, (short) 0x8000, 0x7e00, 0x7e01, (short) 0xfe00, 0x7c00, (short) 0xfc00,
        0x0001, 0x03ff, 0x3c00, 0x7bff, 0x3555};
    for (String name : List.of("f16", "bf16")) {
      ByteBuffer hb = ByteBuffer.allocate(2 * halves.length).order(ByteOrder.LITTLE_ENDIAN);
      for (short h : halves) {
        hb.putShort(h == 0x7e00 && name.equals("bf16") ? 0x7fc0 : h);
      }
      g.addInitializer(name, Tensor.ofBytes(name.equals("f16") ? DType.FLOAT16 : DType.BFLOAT16,
          new long[] {halves.length}, hb.array()));
    }
    g.addInitializer("u64", Tensor.ofLongs(new long[] {3}, -1L, Long.MIN_VALUE, 42L));
    Tensor u64 = Tensor.ofBytes(DType.UINT64, new long[] {3},
        g.initializer("u64").constant().toByteArray());
    g.initializer("u64").replaceConstant(u64);
    g.addInitializer("i64", Tensor.ofLongs(new long[] {3}, Long.MIN_VALUE, Long.MAX_VALUE, 0));
    g.addInitializer("scalar", Tensor.ofFloats(new long[] {}, 2.5f));
    g.addInitializer("empty", Tensor.ofFloats(new long[] {0, 3}));
    Node n = node(g, "Attrs", List.of(), List.of("o"), Map.of(
        "nan", new Attribute.FloatAttr(Float.intBitsToFloat(0x7fc00123)),
        "negzero", new Attribute.FloatAttr(-0f),
        "fs", new Attribute.FloatsAttr(f)));
    g.addOutput(n.output(0));
    return g;
  }

  /** A node carrying every attribute kind, empty lists of each list kind too. */
  public static Graph everyAttributeKind() {
    Graph g = new Graph();
    g.setName("attrs");
    g.opsets().put("", 17L);
    Value x = g.addInput("x", t(DType.FLOAT, 2));
    Graph body = g.newSubgraph("body");
    Value bi = body.addInput("bi", t(DType.FLOAT, 2));
    Node neg = body.addNode("", "Neg", List.of(bi), List.of("bo"), null);
    body.addOutput(neg.output(0));
    Graph other = g.newSubgraph("");
    other.addOutput(other.addInput("oi", null));
    Tensor small = Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4);
    Tensor strings = Tensor.ofStrings(new long[] {2},
        new byte[][] {"x".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2}});
    var sparse = new Attribute.SparseTensorAttr(Tensor.ofFloats(new long[] {3}, 1, 2, 3),
        Tensor.ofLongs(new long[] {3}, 0, 5, 9), new long[] {10});
    var sparse2d = new Attribute.SparseTensorAttr(Tensor.ofInts(new long[] {2}, 7, 8),
        Tensor.ofLongs(new long[] {2, 2}, 0, 1, 2, 3), new long[] {4, 4});
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("f", Attribute.of(0.5f));
    attrs.put("f_int_valued", Attribute.of(3f));
    attrs.put("i", Attribute.of(-7L));
    attrs.put("s", Attribute.of("hello \"world\""));
    attrs.put("s_bytes", new Attribute.StringAttr(new byte[] {(byte) 0x80, 0x0a, 0x00}));
    attrs.put("t", Attribute.of(small));
    attrs.put("t_strings", Attribute.of(strings));
    attrs.put("g", Attribute.of(body));
    attrs.put("sp", sparse);
    attrs.put("tp", new Attribute.TypeAttr(t(DType.INT64, "N")));
    attrs.put("tp_unknown", new Attribute.TypeAttr(null));
    attrs.put("fs", Attribute.of(1f, 2.5f, -3f));
    attrs.put("is", Attribute.of(1L, -2L, Long.MAX_VALUE));
    attrs.put("ss", Attribute.StringsAttr.of(List.of("a", "", "c d")));
    attrs.put("ts", new Attribute.TensorsAttr(List.of(small, Tensor.ofLongs(new long[] {1}, 9))));
    attrs.put("gs", new Attribute.GraphsAttr(List.of(other)));
    attrs.put("sps", new Attribute.SparseTensorsAttr(List.of(sparse, sparse2d)));
    attrs.put("tps", new Attribute.TypesAttr(List.of(new ValueType.SequenceType(
        t(DType.FLOAT)), t(DType.BOOL, "?"))));
    attrs.put("empty_fs", new Attribute.FloatsAttr(new float[0]));
    attrs.put("empty_is", new Attribute.IntsAttr(new long[0]));
    attrs.put("empty_ss", new Attribute.StringsAttr(List.of()));
    attrs.put("empty_ts", new Attribute.TensorsAttr(List.of()));
    attrs.put("empty_gs", new Attribute.GraphsAttr(List.of()));
    attrs.put("empty_sps", new Attribute.SparseTensorsAttr(List.of()));
    attrs.put("empty_tps", new Attribute.TypesAttr(List.of()));
    attrs.put("weird name", Attribute.of(1L));
    Node n = g.addNode("ai.onnx", "Everything", List.of(x), List.of("y"), attrs);
    n.output(0).setType(t(DType.FLOAT, 2));
    g.addOutput(n.output(0));
    return g;
  }

  /** If and Loop bodies reading values of the enclosing graphs (two levels deep). */
  public static Graph subgraphsCapturingOuterValues() {
    Graph g = new Graph();
    g.setName("control_flow");
    g.opsets().put("", 13L);
    Value cond = g.addInput("cond", t(DType.BOOL));
    Value x = g.addInput("x", t(DType.FLOAT, "N"));
    Value k = g.addInitializer("k", Tensor.ofFloats(new long[] {1}, 2f));
    Node sq = node(g, "Mul", List.of(x, x), List.of("sq"), null);
    Value trip = g.addInitializer("trip", Tensor.ofLongs(new long[] {}, 3));

    Graph then = g.newSubgraph("then_branch");
    Node thenAdd = node(then, "Add", List.of(sq.output(0), k), List.of("then_out"), null);
    then.addOutput(thenAdd.output(0));

    Graph elseBranch = g.newSubgraph("else_branch");
    Graph loopBody = elseBranch.newSubgraph("else_loop_body");
    Value iter = loopBody.addInput("iter", t(DType.INT64));
    Value condIn = loopBody.addInput("cond_in", t(DType.BOOL));
    Value acc = loopBody.addInput("acc", t(DType.FLOAT, "N"));
    Graph inner = loopBody.newSubgraph("inner_then");
    Node innerMul = node(inner, "Mul", List.of(acc, k), List.of("inner_out"), null);
    inner.addOutput(innerMul.output(0));
    Graph innerElse = loopBody.newSubgraph("inner_else");
    innerElse.addOutput(x);
    Node innerIf = node(loopBody, "If", List.of(cond), List.of("acc_next"),
        Map.of("then_branch", Attribute.of(inner), "else_branch", Attribute.of(innerElse)));
    Node condOut = node(loopBody, "Identity", List.of(condIn), List.of("cond_out"), null);
    loopBody.addOutput(condOut.output(0));
    loopBody.addOutput(innerIf.output(0));
    Node loop = node(elseBranch, "Loop", List.of(trip, cond, sq.output(0)), List.of("looped"),
        Map.of("body", Attribute.of(loopBody)));
    elseBranch.addOutput(loop.output(0));

    Node ifNode = node(g, "If", List.of(cond), List.of("y"),
        Map.of("then_branch", Attribute.of(then), "else_branch", Attribute.of(elseBranch)));
    ifNode.output(0).setType(t(DType.FLOAT, "N"));
    g.addOutput(ifNode.output(0));
    return g;
  }

  /** Omitted optional inputs (middle and end) and outputs, and a node with no outputs. */
  public static Graph omittedInputsAndOutputs() {
    Graph g = new Graph();
    g.setName("omitted");
    Value x = g.addInput("x", t(DType.FLOAT, 1, 3, 8, 8));
    Value scales = g.addInitializer("scales", Tensor.ofFloats(new long[] {4}, 1, 1, 2, 2));
    Node resize = g.addNode("", "Resize", Arrays.asList(x, null, scales, null),
        List.of("r"), Map.of("mode", Attribute.of("nearest")));
    Node drop = g.addNode("", "Dropout", List.of(resize.output(0)),
        Arrays.asList("d", null), null);
    Node lstm = g.addNode("", "LSTM", List.of(drop.output(0)), Arrays.asList(null, "h", null),
        null);
    g.addNode("", "Print", List.of(lstm.output(1)), List.of(), null);
    g.addNode("custom.domain", "_", List.of(), List.of(), null);
    g.addOutput(lstm.output(1));
    g.addOutput(lstm.output(1));
    return g;
  }

  /** Names that need quoting and doc strings everywhere a doc string may go. */
  public static Graph oddNamesAndDocs() {
    Graph g = new Graph();
    g.setName("torch-jit-export");
    g.setDocString("graph doc with \"quotes\", \\ and \u0001 control");
    Value a = g.addInput("gpu_0/data_0", t(DType.FLOAT, "batch size", 3));
    a.setDocString("input doc");
    Value b = g.addInput("x.1", t(DType.FLOAT, 1));
    Value c = g.addInput("onnx::Flatten_0", t(DType.FLOAT, 1));
    Value d = g.addInput("input_1:0", t(DType.FLOAT, 1));
    Value e = g.addInput("with space", t(DType.FLOAT, 1));
    Value f = g.addInput("trailing:", t(DType.FLOAT, 1));
    Value h = g.addInput("%percent\"quote", t(DType.FLOAT, 1));
    Value i = g.addInput("_", t(DType.FLOAT, 1));
    Value j = g.addInput("ünïcode😀", t(DType.FLOAT, 1));
    Value k = g.addInput("a:::b", t(DType.FLOAT, 1));
    Value init = g.addInitializer("/const/Constant_output_0", Tensor.ofLongs(new long[] {1}, 5));
    init.setDocString("init doc");
    Node n = g.addNode("com.example-vendor", "My Op", List.of(a, b, c, d, e, f, h, i, j, k, init),
        List.of("out:0", "model/dense/BiasAdd;model/dense/MatMul"), null);
    n.setName("/model/block.0/My Op");
    n.setDocString("node doc\nline 2");
    n.output(0).setDocString("output doc");
    n.output(0).setType(t(DType.FLOAT, 1));
    Node m = g.addNode("", "init", List.of(n.output(1)), List.of("doc"), null);
    m.setName("0");
    Node o = g.addNode("", "doc", List.of(m.output(0)), List.of(), null);
    o.setDocString("d");
    g.addOutput(n.output(0));
    g.addOutput(m.output(0));
    return g;
  }

  /** Tensors above the literal limit, printed as base64. */
  public static Graph bigTensors() {
    Graph g = new Graph();
    g.setName("big");
    g.addInitializer("w", Tensor.ofFloats(new long[] {10, 10}, floats(100, 0.01f)));
    long[] longs = new long[1000];
    Arrays.setAll(longs, i -> i * 1_000_003L);
    g.addInitializer("l", Tensor.ofLongs(new long[] {1000}, longs));
    byte[][] strings = new byte[200][];
    for (int i = 0; i < strings.length; i++) {
      strings[i] = ("s" + i).getBytes(StandardCharsets.UTF_8);
    }
    g.addInitializer("s", Tensor.ofStrings(new long[] {200}, strings));
    Node n = node(g, "Constant", List.of(), List.of("c"),
        Map.of("value", Attribute.of(Tensor.ofFloats(new long[] {65}, floats(65, 1f)))));
    g.addOutput(n.output(0));
    return g;
  }

  /** An initializer whose declared value type is not its tensor's type (verifier fodder). */
  public static Graph initializerTypeDiffersFromTensor() {
    Graph g = new Graph();
    g.setName("mismatch");
    Value w = g.addInitializer("w", Tensor.ofFloats(new long[] {2}, 1, 2));
    w.setType(t(DType.FLOAT, "N"));
    Value u = g.addInitializer("u", Tensor.ofFloats(new long[] {2}, 1, 2));
    u.setType(null);
    g.addOutput(w);
    g.addOutput(u);
    return g;
  }
}

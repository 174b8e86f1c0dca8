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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Seeded random graphs for property tests: random names (including ones that need quoting),
 * types, tensors of every element type with random bits, every attribute kind, omitted inputs and
 * outputs, and nested subgraphs that read values of enclosing graphs. Graphs are well formed (each
 * value defined once, nodes in topological order); {@link #generate} sometimes gives an initializer
 * a declared type other than its tensor's (which the IR can hold but the verifier reports), {@link
 * #wellFormed} never does.
 */
public final class RandomGraphs {
  private static final String[] NAME_SHAPES = {
    "v%d", "onnx::Add_%d", "/blk%d/Conv_output_0", "x.%d", "in:%d", "we ird %d", "q\"%d",
    "ü%d", "_%d", "%d", "a-b%d"
  };
  private static final String[] OPS = {"Add", "Conv", "Relu", "MatMul", "If", "Custom", "init"};
  private static final String[] DOMAINS = {"", "", "", "com.microsoft", "ai.onnx.ml", "x y"};

  private final Random rnd;
  private final boolean retypeInitializers;
  private int counter;

  private RandomGraphs(long seed, boolean retypeInitializers) {
    this.rnd = new Random(seed);
    this.retypeInitializers = retypeInitializers;
  }

  /** A random top-level graph determined by {@code seed}. */
  public static Graph generate(long seed) {
    return new RandomGraphs(seed, true).top();
  }

  /** A random graph that passes the verifier. */
  public static Graph wellFormed(long seed) {
    return new RandomGraphs(seed, false).top();
  }

  private Graph top() {
    Graph g = new Graph();
    g.setName(rnd.nextInt(4) == 0 ? "" : name());
    for (int i = rnd.nextInt(3); i > 0; i--) {
      g.opsets().put(DOMAINS[rnd.nextInt(DOMAINS.length)], (long) rnd.nextInt(20));
    }
    for (int i = rnd.nextInt(3); i > 0; i--) {
      g.metadata().put(name(), text());
    }
    if (rnd.nextBoolean()) {
      g.setInfo(new ModelInfo(rnd.nextInt(10), text(), text(), text(), rnd.nextLong(), text()));
    }
    fill(g, new ArrayList<>(), 0);
    return g;
  }

  private void fill(Graph g, List<Value> outer, int depth) {
    if (rnd.nextInt(4) == 0) {
      g.setDocString(text());
    }
    List<Value> visible = new ArrayList<>(outer);
    for (int i = rnd.nextInt(4); i > 0; i--) {
      Value v = g.addInput(name(), type(2));
      maybeDoc(v);
      visible.add(v);
    }
    for (int i = rnd.nextInt(4); i > 0; i--) {
      Value v = g.addInitializer(name(), tensor());
      if (rnd.nextInt(8) == 0 && retypeInitializers) {
        v.setType(type(1));
      }
      maybeDoc(v);
      visible.add(v);
    }
    for (int i = rnd.nextInt(8); i > 0; i--) {
      List<Value> ins = new ArrayList<>();
      for (int k = rnd.nextInt(4); k > 0; k--) {
        ins.add(visible.isEmpty() || rnd.nextInt(6) == 0 ? null : pick(visible));
      }
      List<String> outs = new ArrayList<>();
      for (int k = rnd.nextInt(4); k > 0; k--) {
        outs.add(rnd.nextInt(6) == 0 ? null : name());
      }
      Map<String, Attribute> attrs = new HashMap<>();
      for (int k = rnd.nextInt(4); k > 0; k--) {
        attrs.put(rnd.nextInt(5) == 0 ? name() : "a" + k, attribute(g, visible, depth));
      }
      Node n = g.addNode(DOMAINS[rnd.nextInt(DOMAINS.length)], OPS[rnd.nextInt(OPS.length)], ins,
          outs, attrs);
      if (rnd.nextBoolean()) {
        n.setName(name());
      }
      if (rnd.nextInt(5) == 0) {
        n.setDocString(text());
      }
      for (Value out : n.outputs()) {
        if (out != null) {
          out.setType(rnd.nextInt(3) == 0 ? null : type(2));
          maybeDoc(out);
          visible.add(out);
        }
      }
    }
    for (int i = rnd.nextInt(4); i > 0 && !visible.isEmpty(); i--) {
      g.addOutput(pick(visible));
    }
  }

  private void maybeDoc(Value v) {
    if (rnd.nextInt(6) == 0) {
      v.setDocString(text());
    }
  }

  private Value pick(List<Value> values) {
    return values.get(rnd.nextInt(values.size()));
  }

  private String name() {
    return String.format(NAME_SHAPES[rnd.nextInt(NAME_SHAPES.length)], counter++);
  }

  private String text() {
    int n = rnd.nextInt(12);
    var sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(switch (rnd.nextInt(6)) {
        case 0 -> (char) rnd.nextInt(0x20);
        case 1 -> '"';
        case 2 -> '\\';
        case 3 -> (char) (0x80 + rnd.nextInt(0x3000));
        default -> (char) ('a' + rnd.nextInt(26));
      });
    }
    return sb.toString();
  }

  private byte[] bytes() {
    byte[] b = new byte[rnd.nextInt(8)];
    rnd.nextBytes(b);
    return b;
  }

  private ValueType type(int depth) {
    int kind = rnd.nextInt(depth > 0 ? 10 : 7);
    return switch (kind) {
      case 0 -> null;
      case 7 -> new ValueType.SequenceType(type(depth - 1));
      case 8 -> new ValueType.OptionalType(type(depth - 1));
      case 9 -> new ValueType.MapType(rnd.nextBoolean() ? DType.INT64 : DType.STRING,
          type(depth - 1));
      default -> new ValueType.TensorType(dtype(), shape());
    };
  }

  private DType dtype() {
    DType[] all = DType.values();
    return all[rnd.nextInt(all.length)];
  }

  private Shape shape() {
    if (rnd.nextInt(8) == 0) {
      return Shape.unknownRank();
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = rnd.nextInt(5); i > 0; i--) {
      dims.add(switch (rnd.nextInt(4)) {
        case 0 -> Dim.UNKNOWN;
        case 1 -> Dim.of(rnd.nextBoolean() ? "N" : name());
        default -> Dim.of(rnd.nextInt(300));
      });
    }
    return Shape.of(dims);
  }

  private Tensor tensor() {
    DType dt = dtype();
    int rank = rnd.nextInt(4);
    long[] dims = new long[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = rnd.nextInt(rnd.nextInt(6) == 0 ? 40 : 5);
    }
    int n = (int) Tensor.numElements(dims);
    if (dt == DType.STRING) {
      byte[][] s = new byte[n][];
      for (int i = 0; i < n; i++) {
        s[i] = bytes();
      }
      return Tensor.ofStrings(dims, s);
    }
    byte[] data = new byte[(int) dt.storageBytes(n)];
    rnd.nextBytes(data);
    return Tensor.ofBytes(dt, dims, data);
  }

  private Attribute attribute(Graph g, List<Value> visible, int depth) {
    int kind = rnd.nextInt(depth < 2 ? 14 : 12);
    return switch (kind) {
      case 0 -> new Attribute.FloatAttr(Float.intBitsToFloat(rnd.nextInt()));
      case 1 -> new Attribute.IntAttr(rnd.nextLong());
      case 2 -> new Attribute.StringAttr(bytes());
      case 3 -> new Attribute.TensorAttr(tensor());
      case 4 -> sparse();
      case 5 -> new Attribute.TypeAttr(type(2));
      case 6 -> {
        float[] f = new float[rnd.nextInt(4)];
        for (int i = 0; i < f.length; i++) {
          f[i] = rnd.nextBoolean() ? Float.intBitsToFloat(rnd.nextInt()) : rnd.nextInt(9);
        }
        yield new Attribute.FloatsAttr(f);
      }
      case 7 -> new Attribute.IntsAttr(rnd.longs(rnd.nextInt(4)).toArray());
      case 8 -> {
        List<byte[]> s = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          s.add(bytes());
        }
        yield new Attribute.StringsAttr(s);
      }
      case 9 -> {
        List<Tensor> ts = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          ts.add(tensor());
        }
        yield new Attribute.TensorsAttr(ts);
      }
      case 10 -> {
        List<Attribute.SparseTensorAttr> s = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          s.add(sparse());
        }
        yield new Attribute.SparseTensorsAttr(s);
      }
      case 11 -> {
        List<ValueType> ts = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          ValueType t = type(1);
          ts.add(t == null ? new ValueType.SequenceType(null) : t);
        }
        yield new Attribute.TypesAttr(ts);
      }
      case 12 -> new Attribute.GraphAttr(subgraph(g, visible, depth));
      default -> {
        List<Graph> gs = new ArrayList<>();
        for (int i = rnd.nextInt(3); i > 0; i--) {
          gs.add(subgraph(g, visible, depth));
        }
        yield new Attribute.GraphsAttr(gs);
      }
    };
  }

  private Graph subgraph(Graph g, List<Value> visible, int depth) {
    Graph sub = g.newSubgraph(rnd.nextInt(3) == 0 ? "" : name());
    fill(sub, visible, depth + 1);
    return sub;
  }

  private Attribute.SparseTensorAttr sparse() {
    int nnz = rnd.nextInt(4);
    float[] values = new float[nnz];
    long[] idx = new long[nnz];
    for (int i = 0; i < nnz; i++) {
      values[i] = rnd.nextFloat();
      idx[i] = i * 2L;
    }
    return new Attribute.SparseTensorAttr(Tensor.ofFloats(new long[] {nnz}, values),
        Tensor.ofLongs(new long[] {nnz}, idx), new long[] {2L * nnz + 1});
  }
}

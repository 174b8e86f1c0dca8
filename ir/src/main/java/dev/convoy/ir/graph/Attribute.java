package dev.convoy.ir.graph;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A node attribute: every ONNX attribute kind, including nested graphs (the bodies of If, Loop
 * and Scan). Immutable except for the graphs, which passes may rewrite in place.
 */
public sealed interface Attribute {

  record FloatAttr(float value) implements Attribute {}

  record IntAttr(long value) implements Attribute {}

  /** A byte string; ONNX strings are bytes, usually UTF-8. */
  record StringAttr(byte[] value) implements Attribute {
    public StringAttr {
      value = value.clone();
    }

    public static StringAttr of(String s) {
      return new StringAttr(s.getBytes(StandardCharsets.UTF_8));
    }

    public String text() {
      return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof StringAttr s && Arrays.equals(value, s.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "StringAttr(" + text() + ")";
    }
  }

  record TensorAttr(Tensor value) implements Attribute {}

  record GraphAttr(Graph value) implements Attribute {}

  /** A sparse tensor: values (1-D), indices (1-D linearized or 2-D coordinates), dense dims. */
  record SparseTensorAttr(Tensor values, Tensor indices, long[] dims) implements Attribute {
    public SparseTensorAttr {
      dims = dims.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SparseTensorAttr s
          && values.equals(s.values)
          && indices.equals(s.indices)
          && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
      return 31 * (31 * values.hashCode() + indices.hashCode()) + Arrays.hashCode(dims);
    }
  }

  record TypeAttr(ValueType value) implements Attribute {}

  record FloatsAttr(float[] values) implements Attribute {
    public FloatsAttr {
      values = values.clone();
    }

    @Override
    public float[] values() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FloatsAttr f && Arrays.equals(values, f.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return "FloatsAttr" + Arrays.toString(values);
    }
  }

  record IntsAttr(long[] values) implements Attribute {
    public IntsAttr {
      values = values.clone();
    }

    @Override
    public long[] values() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IntsAttr f && Arrays.equals(values, f.values);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return "IntsAttr" + Arrays.toString(values);
    }
  }

  record StringsAttr(List<byte[]> values) implements Attribute {
    public StringsAttr {
      values = values.stream().map(byte[]::clone).toList();
    }

    public static StringsAttr of(List<String> strings) {
      return new StringsAttr(
          strings.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList());
    }

    public List<String> texts() {
      return values.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof StringsAttr s) || s.values.size() != values.size()) {
        return false;
      }
      for (int i = 0; i < values.size(); i++) {
        if (!Arrays.equals(values.get(i), s.values.get(i))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      int h = 1;
      for (byte[] v : values) {
        h = 31 * h + Arrays.hashCode(v);
      }
      return h;
    }
  }

  record TensorsAttr(List<Tensor> values) implements Attribute {
    public TensorsAttr {
      values = List.copyOf(values);
    }
  }

  record GraphsAttr(List<Graph> values) implements Attribute {
    public GraphsAttr {
      values = List.copyOf(values);
    }
  }

  record SparseTensorsAttr(List<SparseTensorAttr> values) implements Attribute {
    public SparseTensorsAttr {
      values = List.copyOf(values);
    }
  }

  record TypesAttr(List<ValueType> values) implements Attribute {
    public TypesAttr {
      values = List.copyOf(values);
    }
  }

  static Attribute of(long v) {
    return new IntAttr(v);
  }

  static Attribute of(float v) {
    return new FloatAttr(v);
  }

  static Attribute of(String v) {
    return StringAttr.of(v);
  }

  static Attribute of(long... v) {
    return new IntsAttr(v);
  }

  static Attribute of(float... v) {
    return new FloatsAttr(v);
  }

  static Attribute of(Tensor t) {
    return new TensorAttr(t);
  }

  static Attribute of(Graph g) {
    return new GraphAttr(g);
  }
}

package dev.convoy.transforms.differential;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;

/**
 * A model under construction in Convoy's canonical text form: graph inputs (with symbolic dims
 * where the generator chose them), initializers with seeded values, nodes, outputs. The text is
 * what a failing case prints and what a regression test pastes, so the generator never builds a
 * graph any other way. Intermediates carry no types: the importer and ONNX Runtime infer them.
 */
final class ModelText {
  final SplittableRandom rng;
  final int opset;
  private final List<String> inputs = new ArrayList<>();
  private final List<String> inits = new ArrayList<>();
  private final List<String> nodes = new ArrayList<>();
  private final List<String> outputs = new ArrayList<>();
  private final Map<String, long[]> concreteShapes = new LinkedHashMap<>();
  private final Map<String, long[]> altShapes = new LinkedHashMap<>();
  private int counter;

  ModelText(SplittableRandom rng, int opset) {
    this.rng = rng;
    this.opset = opset;
  }

  /**
   * A graph input of {@code dtype}; {@code symbolic[i]} names dim i (null: static). {@code alt}
   * is a second concrete size for the symbolic dims, to verify at two sizes.
   */
  String input(String dtype, long[] dims, String[] symbolic, long[] alt) {
    String name = "in" + inputs.size();
    StringJoiner d = new StringJoiner(",");
    boolean dynamic = false;
    for (int i = 0; i < dims.length; i++) {
      if (symbolic != null && symbolic[i] != null) {
        d.add(symbolic[i]);
        dynamic = true;
      } else {
        d.add(Long.toString(dims[i]));
      }
    }
    inputs.add("%" + name + ": " + dtype + "[" + d + "]");
    concreteShapes.put(name, dims.clone());
    altShapes.put(name, dynamic && alt != null ? alt.clone() : dims.clone());
    return name;
  }

  String fresh(String hint) {
    return hint + "_" + counter++;
  }

  /** An initializer with the given literal values. */
  String init(String hint, String dtype, long[] dims, String values) {
    String name = fresh(hint);
    inits.add("init %" + name + ": " + dtype + "[" + join(dims) + "] = [" + values + "]");
    return name;
  }

  /** A floating initializer of random values in [lo, hi). */
  String randomInit(String hint, String dtype, long[] dims, double lo, double hi) {
    return init(hint, dtype, dims, values(dims,
        () -> Float.toString((float) (lo + rng.nextDouble() * (hi - lo)))));
  }

  /** An integer initializer of random values in [lo, hi]. */
  String randomInts(String hint, String dtype, long[] dims, int lo, int hi) {
    return init(hint, dtype, dims, values(dims,
        () -> Integer.toString(lo + rng.nextInt(hi - lo + 1))));
  }

  /** As many literals from {@code next} as {@code dims} holds elements, comma-separated. */
  private static String values(long[] dims, java.util.function.Supplier<String> next) {
    long n = 1;
    for (long x : dims) {
      n *= x;
    }
    StringJoiner v = new StringJoiner(", ");
    for (long i = 0; i < n; i++) {
      v.add(next.get());
    }
    return v.toString();
  }

  String scalar(String hint, String dtype, double value) {
    return init(hint, dtype, new long[0], Float.toString((float) value));
  }

  String ints(String hint, long... values) {
    StringJoiner v = new StringJoiner(", ");
    for (long x : values) {
      v.add(Long.toString(x));
    }
    return init(hint, "int64", new long[] {values.length}, v.toString());
  }

  /** One node with one output; {@code attrs} as written inside braces (may be empty). */
  String node(String op, String attrs, String... ins) {
    return nodeN(op, attrs, 1, ins)[0];
  }

  /** One node with {@code outs} outputs; an input "" is an omitted optional input ({@code _}). */
  String[] nodeN(String op, String attrs, int outs, String... ins) {
    String[] o = new String[outs];
    StringJoiner lhs = new StringJoiner(", ");
    for (int i = 0; i < outs; i++) {
      o[i] = fresh(op.toLowerCase());
      lhs.add("%" + o[i]);
    }
    StringJoiner args = new StringJoiner(", ");
    for (String in : ins) {
      args.add(in.isEmpty() ? "_" : "%" + in);
    }
    nodes.add(lhs + " = " + op + "(" + args + ")"
        + (attrs == null || attrs.isEmpty() ? "" : " {" + attrs + "}"));
    return o;
  }

  /** A raw node line (subgraph attributes). */
  void raw(String line) {
    nodes.add(line);
  }

  void output(String value) {
    if (!outputs.contains("%" + value)) {
      outputs.add("%" + value);
    }
  }

  /** Whether some input has a symbolic dim (a constant shape must not bake its size in). */
  boolean dynamic() {
    return !concreteShapes.keySet().stream()
        .allMatch(k -> java.util.Arrays.equals(concreteShapes.get(k), altShapes.get(k)));
  }

  Map<String, long[]> shapes() {
    return concreteShapes;
  }

  Map<String, long[]> altShapes() {
    return altShapes;
  }

  String text(String name) {
    StringBuilder b = new StringBuilder();
    b.append("graph ").append(name).append(" (").append(String.join(", ", inputs))
        .append(") -> (").append(String.join(", ", outputs)).append(") {\n");
    b.append("  opset \"\" ").append(opset).append('\n');
    for (String i : inits) {
      b.append("  ").append(i).append('\n');
    }
    for (String n : nodes) {
      b.append("  ").append(n).append('\n');
    }
    return b.append("}\n").toString();
  }

  static String join(long[] dims) {
    StringJoiner d = new StringJoiner(",");
    for (long x : dims) {
      d.add(Long.toString(x));
    }
    return d.toString();
  }

  static String list(long... xs) {
    return "[" + join(xs).replace(",", ", ") + "]";
  }
}

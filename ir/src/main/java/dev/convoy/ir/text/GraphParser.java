package dev.convoy.ir.text;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.text.Lexer.Kind;
import dev.convoy.ir.text.Lexer.Token;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the text form written by {@link GraphPrinter} (and by hand, in golden tests) back into a
 * {@link Graph}. Besides the canonical spelling it accepts what a person naturally writes: any
 * whitespace and line breaks, {@code #} comments, a type on a graph output given either at its
 * definition or in the graph header, integers where floats are expected, and base64 or literal
 * data for any tensor.
 *
 * <p>A value may be used before the line that defines it (the parser resolves names once the whole
 * text is read) so that even a graph out of topological order survives a round trip; the verifier,
 * not the parser, reports such graphs. Errors are {@link InvalidModelException}s starting with
 * {@code line:column} and saying what was expected.
 */
public final class GraphParser {
  private static final ValueType NO_TYPE = null;

  private final Lexer lx;
  private final List<Ref> pending = new ArrayList<>();

  /** Names defined in one graph, with the enclosing graph's scope as parent. */
  private static final class Scope {
    final Graph graph;
    final Scope parent;
    final Map<String, Value> values = new HashMap<>();
    final Map<String, Integer> definedAt = new HashMap<>();

    Scope(Graph graph, Scope parent) {
      this.graph = graph;
      this.parent = parent;
    }

    Value lookup(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        Value v = s.values.get(name);
        if (v != null) {
          return v;
        }
      }
      return null;
    }
  }

  /** A use of a name not yet defined where it is read: node input or graph output. */
  private record Ref(Scope scope, Node node, int index, String name, int at, ValueType type,
      int typeAt) {}

  /** {@code %name[: type][ doc "..."]} as written, before a value exists for it. */
  private record Decl(String name, ValueType type, boolean typed, String doc, int at) {}

  private GraphParser(String text, String sourceName) {
    this.lx = new Lexer(text, sourceName);
  }

  /** Parses one top-level graph. */
  public static Graph parse(String text) {
    return parse(text, null);
  }

  /**
   * Parses one top-level graph; {@code sourceName} (a file name, or null) prefixes error
   * positions, as in {@code before.txt:3:14: expected ')' but found '='}.
   */
  public static Graph parse(String text, String sourceName) {
    return new GraphParser(text, sourceName).top();
  }

  private Graph top() {
    expectIdent("graph");
    Graph g = new Graph();
    graphRest(g, new Scope(g, null));
    Token end = lx.peek();
    if (end.kind() != Kind.EOF) {
      throw lx.error(end.start(), "expected end of input after the graph but found "
          + lx.describe(end));
    }
    resolvePending();
    return g;
  }

  // ---- graphs ----

  private void graphRest(Graph g, Scope scope) {
    Token t = lx.peek();
    if (t.kind() == Kind.IDENT || t.kind() == Kind.STRING) {
      g.setName(identOrString("a graph name"));
    }
    expect("(");
    if (!lx.peek().is(")")) {
      do {
        Decl d = valueDecl();
        Value v = g.addInput(d.name(), d.type());
        v.setDocString(d.doc());
        define(scope, v, d.at());
      } while (accept(","));
    }
    expect(")");
    expect("->");
    expect("(");
    if (!lx.peek().is(")")) {
      do {
        if (acceptOmitted()) {
          g.addOutput(null);
          continue;
        }
        Token name = expectKind(Kind.VALUE, "a graph output (%name or _)");
        ValueType type = NO_TYPE;
        int typeAt = -1;
        if (accept(":")) {
          typeAt = lx.peek().start();
          type = type();
        }
        g.addOutput(null);
        pending.add(new Ref(scope, null, g.outputs().size() - 1, name.text(), name.start(), type,
            typeAt));
      } while (accept(","));
    }
    expect(")");
    expect("{");
    boolean sawModel = false;
    while (true) {
      Token s = lx.peek();
      Token s2 = lx.peek2();
      if (s.is("}")) {
        lx.take();
        return;
      } else if (s.isIdent("model") && s2.is("{")) {
        if (!g.isTopLevel() || sawModel) {
          throw lx.error(s.start(), g.isTopLevel() ? "model info given twice"
              : "model info belongs in the top-level graph");
        }
        sawModel = true;
        lx.take();
        g.setInfo(modelInfo());
      } else if (s.isIdent("opset") && s2.kind() == Kind.STRING) {
        lx.take();
        String domain = lx.stringValue(lx.take());
        Token version = expectKind(Kind.NUMBER, "an opset version");
        if (g.opsets().put(domain, integer(version)) != null) {
          throw lx.error(s.start(), "opset for domain \"" + domain + "\" given twice");
        }
      } else if (s.isIdent("meta") && s2.kind() == Kind.STRING) {
        lx.take();
        String key = lx.stringValue(lx.take());
        expect("=");
        String value = lx.stringValue(expectKind(Kind.STRING, "a metadata value string"));
        if (g.metadata().put(key, value) != null) {
          throw lx.error(s.start(), "metadata key \"" + key + "\" given twice");
        }
      } else if (s.isIdent("doc") && s2.kind() == Kind.STRING) {
        lx.take();
        g.setDocString(lx.stringValue(lx.take()));
      } else if (s.isIdent("init") && s2.kind() == Kind.VALUE) {
        lx.take();
        initializer(g, scope);
      } else if (s.kind() == Kind.VALUE || (s.isIdent("_") && (s2.is(",") || s2.is("=")))) {
        node(g, scope, outputDecls());
      } else if (s.kind() == Kind.IDENT || s.kind() == Kind.STRING) {
        node(g, scope, List.of());
      } else {
        throw lx.error(s.start(), "expected a statement (init, opset, meta, doc, a node) or '}'"
            + " but found " + lx.describe(s));
      }
    }
  }

  private ModelInfo modelInfo() {
    expect("{");
    ModelInfo d = ModelInfo.DEFAULT;
    long ir = d.irVersion();
    long version = d.modelVersion();
    String producer = d.producerName();
    String producerVersion = d.producerVersion();
    String domain = d.domain();
    String doc = d.docString();
    if (!lx.peek().is("}")) {
      do {
        Token key = expectKind(Kind.IDENT, "a model field name");
        expect("=");
        switch (key.text()) {
          case "ir_version" -> ir = integer(expectKind(Kind.NUMBER, "a number"));
          case "model_version" -> version = integer(expectKind(Kind.NUMBER, "a number"));
          case "producer_name" -> producer = string();
          case "producer_version" -> producerVersion = string();
          case "domain" -> domain = string();
          case "doc" -> doc = string();
          default -> throw lx.error(key.start(), "unknown model field '" + key.text()
              + "' (expected ir_version, producer_name, producer_version, domain,"
              + " model_version or doc)");
        }
      } while (accept(","));
    }
    expect("}");
    return new ModelInfo(ir, producer, producerVersion, domain, version, doc);
  }

  private void initializer(Graph g, Scope scope) {
    Decl d = valueDecl();
    expect("=");
    Token dataStart = lx.peek();
    Tensor t;
    if (d.typed() && (dataStart.is("[") || dataStart.isIdent("base64"))) {
      if (!(d.type() instanceof ValueType.TensorType tt) || !tt.shape().isStatic()) {
        throw lx.error(dataStart.start(), "initializer %" + d.name() + " of type "
            + GraphPrinter.print(d.type()) + " needs its tensor written with a static type,"
            + " e.g. float32[2] [1.0, 2.0]");
      }
      t = tensorData(tt.dtype(), tt.shape().sizes());
    } else {
      t = tensor();
    }
    if (scope.values.containsKey(d.name())) {
      throw redefined(scope, d.name(), d.at());
    }
    Value v = g.addInitializer(d.name(), t);
    if (!d.typed() || !t.type().equals(d.type())) {
      v.setType(d.type());
    }
    v.setDocString(d.doc());
    define(scope, v, d.at());
  }

  // ---- nodes ----

  private List<Decl> outputDecls() {
    List<Decl> outs = new ArrayList<>();
    do {
      if (acceptOmitted()) {
        outs.add(null);
      } else {
        outs.add(valueDecl());
      }
    } while (accept(","));
    expect("=");
    return outs;
  }

  private void node(Graph g, Scope scope, List<Decl> outs) {
    int at = lx.peek().start();
    String domain = "";
    String op = identOrString("an op type");
    if (accept("::")) {
      domain = op;
      op = identOrString("an op type after '::'");
    }
    if (op.isEmpty()) {
      throw lx.error(at, "empty op type");
    }
    expect("(");
    List<Token> inputs = new ArrayList<>();
    if (!lx.peek().is(")")) {
      do {
        if (acceptOmitted()) {
          inputs.add(null);
        } else {
          inputs.add(expectKind(Kind.VALUE, "an input (%name or _)"));
        }
      } while (accept(","));
    }
    expect(")");
    Map<String, Attribute> attrs = lx.peek().is("{") ? attributes(g, scope) : Map.of();
    String name = "";
    if (lx.peek().kind() == Kind.NODE_NAME) {
      name = lx.take().text();
    }
    String doc = "";
    if (lx.peek().isIdent("doc") && lx.peek2().kind() == Kind.STRING) {
      lx.take();
      doc = lx.stringValue(lx.take());
    }
    List<String> outNames = new ArrayList<>(outs.size());
    for (Decl d : outs) {
      if (d != null && scope.values.containsKey(d.name())) {
        throw redefined(scope, d.name(), d.at());
      }
      outNames.add(d == null ? null : d.name());
    }
    Node n = g.addNode(domain, op, Arrays.asList(new Value[inputs.size()]), outNames, attrs);
    n.setName(name);
    n.setDocString(doc);
    for (int i = 0; i < outs.size(); i++) {
      Decl d = outs.get(i);
      if (d != null) {
        Value v = n.output(i);
        v.setType(d.type());
        v.setDocString(d.doc());
        define(scope, v, d.at());
      }
    }
    for (int i = 0; i < inputs.size(); i++) {
      Token in = inputs.get(i);
      if (in == null) {
        continue;
      }
      Value v = scope.lookup(in.text());
      if (v != null) {
        n.setInput(i, v);
      } else {
        pending.add(new Ref(scope, n, i, in.text(), in.start(), NO_TYPE, -1));
      }
    }
  }

  private Map<String, Attribute> attributes(Graph g, Scope scope) {
    expect("{");
    Map<String, Attribute> attrs = new TreeMap<>();
    while (!lx.peek().is("}")) {
      Token key = lx.peek();
      String name = identOrString("an attribute name");
      expect("=");
      if (attrs.put(name, attributeValue(g, scope)) != null) {
        throw lx.error(key.start(), "attribute " + name + " given twice");
      }
      if (!accept(",")) {
        break;
      }
    }
    expect("}");
    return attrs;
  }

  private Attribute attributeValue(Graph g, Scope scope) {
    Token t = lx.peek();
    Token t2 = lx.peek2();
    if (isFloatStart(t)) {
      Token num = t;
      if (t.kind() == Kind.NUMBER && !isFloatText(t.text())) {
        lx.take();
        return new Attribute.IntAttr(integer(num));
      }
      return new Attribute.FloatAttr(Float.intBitsToFloat(floatBits()));
    }
    if (t.kind() == Kind.STRING) {
      return new Attribute.StringAttr(lx.bytesValue(lx.take()));
    }
    if (t.is("[")) {
      return untypedList(g, scope);
    }
    if (t.kind() != Kind.IDENT) {
      throw lx.error(t.start(), "expected an attribute value but found " + lx.describe(t));
    }
    if (t.text().equals("graph")) {
      return new Attribute.GraphAttr(subgraph(g, scope));
    }
    if (t.text().equals("sparse") && t2.is("(")) {
      return sparse();
    }
    if (t.text().equals("type") && t2.is("(")) {
      return new Attribute.TypeAttr(typeAttr());
    }
    if (t2.is("[")) {
      switch (t.text()) {
        case "ints", "floats", "strings", "tensors", "graphs", "sparse_tensors", "types" -> {
          lx.take();
          return typedList(t.text(), g, scope);
        }
        default -> {
          return new Attribute.TensorAttr(tensor());
        }
      }
    }
    throw lx.error(t.start(), "expected an attribute value but found " + lx.describe(t));
  }

  private Attribute untypedList(Graph g, Scope scope) {
    Token open = lx.peek();
    Token first = lx.peek2();
    String kind;
    if (isFloatStart(first)) {
      kind = "numbers";
    } else if (first.kind() == Kind.STRING) {
      kind = "strings";
    } else if (first.isIdent("graph")) {
      kind = "graphs";
    } else if (first.isIdent("sparse")) {
      kind = "sparse_tensors";
    } else if (first.isIdent("type")) {
      kind = "types";
    } else if (first.kind() == Kind.IDENT) {
      kind = "tensors";
    } else if (first.is("]")) {
      throw lx.error(open.start(), "an empty list must say its kind: ints[], floats[],"
          + " strings[], tensors[], graphs[], sparse_tensors[] or types[]");
    } else {
      throw lx.error(first.start(), "expected a list element but found " + lx.describe(first));
    }
    return typedList(kind, g, scope);
  }

  private Attribute typedList(String kind, Graph g, Scope scope) {
    expect("[");
    List<Object> items = new ArrayList<>();
    boolean anyFloat = false;
    if (!lx.peek().is("]")) {
      do {
        switch (kind) {
          case "ints" -> items.add(integer(expectKind(Kind.NUMBER, "an integer")));
          case "floats" -> items.add(Float.intBitsToFloat(floatBits()));
          case "numbers" -> {
            Token t = lx.peek();
            if (t.kind() == Kind.NUMBER && !isFloatText(t.text())) {
              items.add(lx.take());
            } else {
              anyFloat = true;
              items.add(Float.intBitsToFloat(floatBits()));
            }
          }
          case "strings" -> items.add(lx.bytesValue(expectKind(Kind.STRING, "a string")));
          case "tensors" -> items.add(tensor());
          case "graphs" -> items.add(subgraph(g, scope));
          case "sparse_tensors" -> items.add(sparse());
          case "types" -> items.add(typeAttr());
          default -> throw new IllegalStateException(kind);
        }
      } while (accept(","));
    }
    expect("]");
    return switch (kind) {
      case "ints" -> new Attribute.IntsAttr(items.stream().mapToLong(o -> (Long) o).toArray());
      case "floats" -> floats(items);
      case "numbers" -> {
        if (anyFloat) {
          for (int i = 0; i < items.size(); i++) {
            if (items.get(i) instanceof Token num) {
              items.set(i, parseFloat(num));
            }
          }
          yield floats(items);
        }
        yield new Attribute.IntsAttr(items.stream().mapToLong(o -> integer((Token) o)).toArray());
      }
      case "strings" -> new Attribute.StringsAttr(items.stream().map(o -> (byte[]) o).toList());
      case "tensors" -> new Attribute.TensorsAttr(items.stream().map(o -> (Tensor) o).toList());
      case "graphs" -> new Attribute.GraphsAttr(items.stream().map(o -> (Graph) o).toList());
      case "sparse_tensors" -> new Attribute.SparseTensorsAttr(
          items.stream().map(o -> (Attribute.SparseTensorAttr) o).toList());
      case "types" -> new Attribute.TypesAttr(
          items.stream().map(o -> (ValueType) o).toList());
      default -> throw new IllegalStateException(kind);
    };
  }

  private static Attribute floats(List<Object> items) {
    float[] f = new float[items.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (Float) items.get(i);
    }
    return new Attribute.FloatsAttr(f);
  }

  private Graph subgraph(Graph g, Scope scope) {
    expectIdent("graph");
    Graph sub = g.newSubgraph("");
    graphRest(sub, new Scope(sub, scope));
    return sub;
  }

  private Attribute.SparseTensorAttr sparse() {
    expectIdent("sparse");
    expect("(");
    Tensor values = tensor();
    expect(",");
    Tensor indices = tensor();
    expect(",");
    long[] dims = staticDims();
    expect(")");
    return new Attribute.SparseTensorAttr(values, indices, dims);
  }

  private ValueType typeAttr() {
    expectIdent("type");
    expect("(");
    ValueType t = type();
    expect(")");
    return t;
  }

  // ---- values and types ----

  private Decl valueDecl() {
    Token name = expectKind(Kind.VALUE, "a value (%name)");
    ValueType type = NO_TYPE;
    boolean typed = false;
    if (accept(":")) {
      type = type();
      typed = true;
    }
    String doc = "";
    if (lx.peek().isIdent("doc") && lx.peek2().kind() == Kind.STRING) {
      lx.take();
      doc = lx.stringValue(lx.take());
    }
    return new Decl(name.text(), type, typed, doc, name.start());
  }

  private ValueType type() {
    if (accept("?")) {
      return null;
    }
    Token word = expectKind(Kind.IDENT, "a type (float32[...], seq<...>, optional<...>,"
        + " map<...> or ?)");
    switch (word.text()) {
      case "seq", "optional" -> {
        expect("<");
        ValueType elem = type();
        expect(">");
        return word.text().equals("seq") ? new ValueType.SequenceType(elem)
            : new ValueType.OptionalType(elem);
      }
      case "map" -> {
        expect("<");
        DType key = dtype(expectKind(Kind.IDENT, "a map key element type"));
        expect(",");
        ValueType value = type();
        expect(">");
        return new ValueType.MapType(key, value);
      }
      default -> {
        DType dt = dtype(word);
        if (!lx.peek().is("[")) {
          throw lx.error(lx.peek().start(), "expected the shape of a " + dt.textName()
              + " tensor ('[' dims ']', '[*]' for unknown rank) but found "
              + lx.describe(lx.peek()));
        }
        return new ValueType.TensorType(dt, shape());
      }
    }
  }

  private Shape shape() {
    expect("[");
    if (accept("*")) {
      expect("]");
      return Shape.unknownRank();
    }
    List<Dim> dims = new ArrayList<>();
    if (!lx.peek().is("]")) {
      do {
        Token t = lx.peek();
        if (accept("?")) {
          dims.add(Dim.UNKNOWN);
        } else if (t.kind() == Kind.NUMBER) {
          dims.add(Dim.of(dimSize(lx.take())));
        } else if (t.kind() == Kind.IDENT || t.kind() == Kind.STRING) {
          dims.add(Dim.of(identOrString("a dimension")));
        } else {
          throw lx.error(t.start(), "expected a dimension (a size, a symbol or ?) but found "
              + lx.describe(t));
        }
      } while (accept(","));
    }
    expect("]");
    return Shape.of(dims);
  }

  private long[] staticDims() {
    expect("[");
    List<Long> dims = new ArrayList<>();
    if (!lx.peek().is("]")) {
      do {
        dims.add(dimSize(expectKind(Kind.NUMBER, "a dimension size")));
      } while (accept(","));
    }
    expect("]");
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private long dimSize(Token t) {
    long v = integer(t);
    if (v < 0) {
      throw lx.error(t.start(), "negative dimension " + v);
    }
    return v;
  }

  private DType dtype(Token t) {
    try {
      return DType.fromText(t.text());
    } catch (IllegalArgumentException e) {
      throw lx.error(t.start(), "unknown element type '" + t.text() + "' (expected float32,"
          + " float16, bfloat16, float64, int8..int64, uint8..uint64, bool, string, ...)");
    }
  }

  // ---- tensors ----

  /** {@code dtype[dims] data}. */
  private Tensor tensor() {
    DType dt = dtype(expectKind(Kind.IDENT, "a tensor (e.g. float32[2] [1.0, 2.0])"));
    long[] dims = staticDims();
    return tensorData(dt, dims);
  }

  /** {@code [elements]} or {@code base64"..."}, for a tensor of known type and dimensions. */
  private Tensor tensorData(DType dt, long[] dims) {
    Token t = lx.peek();
    long n;
    try {
      n = Tensor.numElements(dims);
    } catch (InvalidModelException e) {
      throw lx.error(t.start(), e.getMessage());
    }
    if (t.isIdent("base64")) {
      lx.take();
      Token data = expectKind(Kind.STRING, "base64 data in quotes");
      if (dt == DType.STRING) {
        throw lx.error(t.start(), "string tensors are written as a list of strings");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(lx.rawString(data));
      } catch (IllegalArgumentException e) {
        throw lx.error(data.start(), "bad base64 data: " + e.getMessage());
      }
      long needed = dt.storageBytes(n);
      if (bytes.length != needed) {
        throw lx.error(data.start(), "base64 data has " + bytes.length + " bytes but a "
            + dt.textName() + Shape.toString(dims) + " tensor needs " + needed);
      }
      return Tensor.ofBytes(dt, dims, bytes);
    }
    if (!t.is("[")) {
      throw lx.error(t.start(), "expected tensor data ('[' elements ']' or base64\"...\")"
          + " but found " + lx.describe(t));
    }
    if (!GraphPrinter.hasLiteral(dt)) {
      throw lx.error(t.start(), dt.textName() + " tensors are written as base64\"...\"");
    }
    if (n > Integer.MAX_VALUE / 8) {
      throw lx.error(t.start(), "tensor too large for a literal; use base64");
    }
    lx.take();
    // Storage grows with the elements actually written, never to what the shape merely declares.
    if (dt == DType.STRING) {
      List<byte[]> strings = new ArrayList<>();
      int count = 0;
      while (!lx.peek().is("]")) {
        Token s = expectKind(Kind.STRING, "a string element");
        if (count < n) {
          strings.add(lx.bytesValue(s));
        }
        count++;
        if (!accept(",")) {
          break;
        }
      }
      checkCount(t, dt, dims, n, count);
      expect("]");
      return Tensor.ofStrings(dims, strings.toArray(byte[][]::new));
    }
    long bytes = n * dt.byteSize();
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(bytes, 1 << 16));
    int count = 0;
    while (!lx.peek().is("]")) {
      if (count < n) {
        long need = (long) (count + 1) * dt.byteSize();
        if (need > buf.capacity()) {
          byte[] grown = Arrays.copyOf(buf.array(),
              (int) Math.min(bytes, Math.max(need, 2L * buf.capacity())));
          buf = ByteBuffer.wrap(grown);
        }
        element(buf.order(ByteOrder.LITTLE_ENDIAN), dt, count);
      } else {
        lx.take();
      }
      count++;
      if (!accept(",")) {
        break;
      }
    }
    checkCount(t, dt, dims, n, count);
    expect("]");
    return Tensor.ofBytes(dt, dims, buf.array());
  }

  private void checkCount(Token at, DType dt, long[] dims, long n, int count) {
    if (count != n) {
      throw lx.error(at.start(), "a " + dt.textName() + Shape.toString(dims) + " tensor has " + n
          + " elements but " + count + " are given");
    }
  }

  private void element(ByteBuffer buf, DType dt, int i) {
    switch (dt) {
      case FLOAT -> buf.putInt(4 * i, floatBits());
      case DOUBLE -> buf.putLong(8 * i, doubleBits());
      case FLOAT16, BFLOAT16 -> buf.putShort(2 * i, halfBits(dt == DType.BFLOAT16));
      case BOOL -> {
        Token t = lx.peek();
        if (t.isIdent("true") || t.isIdent("false")) {
          lx.take();
          buf.put(i, (byte) (t.text().equals("true") ? 1 : 0));
        } else {
          buf.put(i, (byte) ranged(0, 255));
        }
      }
      case INT8 -> buf.put(i, (byte) ranged(Byte.MIN_VALUE, Byte.MAX_VALUE));
      case UINT8 -> buf.put(i, (byte) ranged(0, 255));
      case INT16 -> buf.putShort(2 * i, (short) ranged(Short.MIN_VALUE, Short.MAX_VALUE));
      case UINT16 -> buf.putShort(2 * i, (short) ranged(0, 0xffff));
      case INT32 -> buf.putInt(4 * i, (int) ranged(Integer.MIN_VALUE, Integer.MAX_VALUE));
      case UINT32 -> buf.putInt(4 * i, (int) ranged(0, 0xffffffffL));
      case INT64 -> buf.putLong(8 * i, integer(expectKind(Kind.NUMBER, "an integer")));
      case UINT64 -> buf.putLong(8 * i, unsigned64(expectKind(Kind.NUMBER, "an integer")));
      default -> throw new IllegalStateException(dt.toString());
    }
  }

  private long ranged(long min, long max) {
    Token t = expectKind(Kind.NUMBER, "an integer");
    long v = integer(t);
    if (v < min || v > max) {
      throw lx.error(t.start(), "integer " + v + " is outside [" + min + ", " + max + "]");
    }
    return v;
  }

  // ---- numbers ----

  private static boolean isFloatStart(Token t) {
    return t.kind() == Kind.NUMBER || t.isIdent("nan") || t.isIdent("inf");
  }

  private static boolean isFloatText(String s) {
    return !s.startsWith("0x") && !s.startsWith("-0x") && (s.indexOf('.') >= 0
        || s.indexOf('e') >= 0 || s.indexOf('E') >= 0 || s.endsWith("inf"));
  }

  /** {@code nan:0xBITS}'s bits, or null when the NaN is written without bits. */
  private Long nanBits() {
    if (!lx.peek().is(":")) {
      return null;
    }
    lx.take();
    Token bits = expectKind(Kind.NUMBER, "NaN bits (0x...)");
    if (!bits.text().startsWith("0x") || bits.text().length() < 3) {
      throw lx.error(bits.start(), "NaN bits are written in hex, e.g. nan:0x7fc00001");
    }
    try {
      return Long.parseUnsignedLong(bits.text().substring(2), 16);
    } catch (NumberFormatException e) {
      throw lx.error(bits.start(), "bad NaN bits " + bits.text());
    }
  }

  private int floatBits() {
    Token t = lx.take();
    if (t.isIdent("nan")) {
      Long bits = nanBits();
      int b = bits == null ? TextSyntax.CANONICAL_FLOAT_NAN : bits.intValue();
      if (bits != null && (bits >>> 32 != 0 || !Float.isNaN(Float.intBitsToFloat(b)))) {
        throw lx.error(t.start(), "nan:0x" + Long.toHexString(bits) + " is not a float NaN");
      }
      return b;
    }
    return Float.floatToRawIntBits(parseFloat(t));
  }

  private float parseFloat(Token t) {
    if (t.isIdent("inf") || (t.kind() == Kind.NUMBER && t.text().equals("-inf"))) {
      return t.text().startsWith("-") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
    }
    if (t.kind() == Kind.NUMBER && !t.text().contains("0x")) {
      try {
        return Float.parseFloat(t.text());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw lx.error(t.start(), "expected a float but found " + lx.describe(t));
  }

  private long doubleBits() {
    Token t = lx.take();
    if (t.isIdent("nan")) {
      Long bits = nanBits();
      long b = bits == null ? TextSyntax.CANONICAL_DOUBLE_NAN : bits;
      if (!Double.isNaN(Double.longBitsToDouble(b))) {
        throw lx.error(t.start(), "nan:0x" + Long.toHexString(b) + " is not a float64 NaN");
      }
      return b;
    }
    if (t.isIdent("inf") || (t.kind() == Kind.NUMBER && t.text().equals("-inf"))) {
      return Double.doubleToRawLongBits(
          t.text().startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
    }
    if (t.kind() == Kind.NUMBER && !t.text().contains("0x")) {
      try {
        return Double.doubleToRawLongBits(Double.parseDouble(t.text()));
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw lx.error(t.start(), "expected a float but found " + lx.describe(t));
  }

  private short halfBits(boolean bfloat) {
    Token t = lx.take();
    if (t.isIdent("nan")) {
      Long bits = nanBits();
      if (bits == null) {
        return bfloat ? TextSyntax.CANONICAL_BFLOAT16_NAN : TextSyntax.CANONICAL_HALF_NAN;
      }
      short b = (short) bits.longValue();
      float f = bfloat ? HalfFloats.bfloat16ToFloat(b) : HalfFloats.toFloat(b);
      if (bits >>> 16 != 0 || !Float.isNaN(f)) {
        throw lx.error(t.start(), "nan:0x" + Long.toHexString(bits) + " is not a "
            + (bfloat ? "bfloat16" : "float16") + " NaN");
      }
      return b;
    }
    float f = parseFloat(t);
    return bfloat ? HalfFloats.bfloat16FromFloat(f) : HalfFloats.fromFloat(f);
  }

  private long integer(Token t) {
    String s = t.text();
    try {
      if (s.startsWith("0x")) {
        return Long.parseUnsignedLong(s.substring(2), 16);
      }
      return Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
    } catch (NumberFormatException e) {
      throw lx.error(t.start(), "expected an integer but found " + lx.describe(t));
    }
  }

  private long unsigned64(Token t) {
    if (t.text().startsWith("-")) {
      return integer(t);
    }
    try {
      return Long.parseUnsignedLong(t.text().startsWith("+") ? t.text().substring(1) : t.text());
    } catch (NumberFormatException e) {
      return integer(t);
    }
  }

  // ---- names ----

  private void define(Scope scope, Value v, int at) {
    if (scope.values.putIfAbsent(v.name(), v) != null) {
      throw redefined(scope, v.name(), at);
    }
    scope.definedAt.put(v.name(), at);
  }

  private InvalidModelException redefined(Scope scope, String name, int at) {
    return lx.error(at, "value %" + name + " is already defined (at "
        + lx.position(scope.definedAt.get(name)) + ")");
  }

  private void resolvePending() {
    for (Ref r : pending) {
      Value v = r.scope().lookup(r.name());
      if (v == null) {
        throw lx.error(r.at(), "undefined value %" + r.name());
      }
      if (r.node() != null) {
        r.node().setInput(r.index(), v);
        continue;
      }
      r.scope().graph.setOutput(r.index(), v);
      if (r.typeAt() >= 0) {
        if (v.type() == null) {
          v.setType(r.type());
        } else if (!v.type().equals(r.type())) {
          throw lx.error(r.typeAt(), "graph output %" + r.name() + " is declared "
              + GraphPrinter.print(r.type()) + " but defined as " + GraphPrinter.print(v.type()));
        }
      }
    }
  }

  // ---- tokens ----

  private String identOrString(String what) {
    Token t = lx.take();
    if (t.kind() == Kind.IDENT) {
      return t.text();
    }
    if (t.kind() == Kind.STRING) {
      return lx.stringValue(t);
    }
    throw lx.error(t.start(), "expected " + what + " but found " + lx.describe(t));
  }

  private String string() {
    return lx.stringValue(expectKind(Kind.STRING, "a string"));
  }

  private boolean acceptOmitted() {
    if (lx.peek().isIdent("_")) {
      lx.take();
      return true;
    }
    return false;
  }

  private boolean accept(String punct) {
    if (lx.peek().is(punct)) {
      lx.take();
      return true;
    }
    return false;
  }

  private void expect(String punct) {
    Token t = lx.peek();
    if (!t.is(punct)) {
      throw lx.error(t.start(), "expected '" + punct + "' but found " + lx.describe(t));
    }
    lx.take();
  }

  private void expectIdent(String word) {
    Token t = lx.peek();
    if (!t.isIdent(word)) {
      throw lx.error(t.start(), "expected '" + word + "' but found " + lx.describe(t));
    }
    lx.take();
  }

  private Token expectKind(Kind kind, String what) {
    Token t = lx.peek();
    if (t.kind() != kind) {
      throw lx.error(t.start(), "expected " + what + " but found " + lx.describe(t));
    }
    return lx.take();
  }
}

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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints a {@link Graph} in Convoy's canonical text form, the form golden tests of optimizer rules
 * are written in. Equal graphs print identically, and {@link GraphParser#parse} reads the text back
 * into an equal graph. A small example:
 *
 * <pre>
 * graph main_graph (%x: float32[N,3,224,224]) -&gt; (%y: float32[N,1000]) {
 *   opset "" 13
 *   init %w: float32[2,2] = [1.0, 2.0, 3.0, 4.0]
 *   %a: float32[N,64,224,224] = Conv(%x, %w) {kernel_shape=[3,3], pads=[1,1,1,1]} @conv1
 *   %y = com.microsoft::Gelu(%a)
 * }
 * </pre>
 *
 * <p>Values are {@code %name}, node names {@code @name} (quoted when not a plain word), omitted
 * optional inputs and outputs {@code _}. A value's type is written where it is defined, except a
 * node output that is also an output of its graph, whose type is written in the graph's header.
 * Tensors up to {@value #LITERAL_MAX_ELEMENTS} elements are written as literals, larger ones (and
 * element types without a literal spelling) as base64 of their little-endian bytes.
 */
public final class GraphPrinter {
  /** Tensors with at most this many elements print as readable literals. */
  public static final int LITERAL_MAX_ELEMENTS = 64;

  private static final int HEADER_WRAP = 100;

  private final StringBuilder sb;

  private GraphPrinter(StringBuilder sb) {
    this.sb = sb;
  }

  /** The canonical text of {@code graph} (a top-level graph or a subgraph). */
  public static String print(Graph graph) {
    var p = new GraphPrinter(new StringBuilder(4096));
    p.graph(graph, 0);
    p.sb.append('\n');
    return p.sb.toString();
  }

  /** The text form of one type ({@code float32[N,3]}, {@code seq<int64[*]>}, {@code ?}). */
  public static String print(ValueType type) {
    var p = new GraphPrinter(new StringBuilder());
    p.type(type);
    return p.sb.toString();
  }

  private void indent(int level) {
    for (int i = 0; i < level; i++) {
      sb.append("  ");
    }
  }

  private void graph(Graph g, int level) {
    Set<Value> typedInHeader = new HashSet<>();
    for (Value out : g.outputs()) {
      if (out != null && out.owner() == g && out.producer() != null
          && out.producer().graph() == g) {
        typedInHeader.add(out);
      }
    }
    sb.append("graph ");
    if (!g.name().isEmpty()) {
      TextSyntax.appendIdent(sb, g.name());
      sb.append(' ');
    }
    int start = sb.length();
    header(g, typedInHeader, false, level);
    if (sb.length() - start > HEADER_WRAP) {
      sb.setLength(start);
      header(g, typedInHeader, true, level);
    }
    sb.append(" {\n");
    int inner = level + 1;
    if (g.isTopLevel() && !g.info().equals(ModelInfo.DEFAULT)) {
      indent(inner);
      modelInfo(g.info());
      sb.append('\n');
    }
    for (Map.Entry<String, Long> e : g.opsets().entrySet()) {
      indent(inner);
      sb.append("opset ");
      TextSyntax.appendString(sb, e.getKey());
      sb.append(' ').append(e.getValue()).append('\n');
    }
    for (Map.Entry<String, String> e : g.metadata().entrySet()) {
      indent(inner);
      sb.append("meta ");
      TextSyntax.appendString(sb, e.getKey());
      sb.append(" = ");
      TextSyntax.appendString(sb, e.getValue());
      sb.append('\n');
    }
    if (!g.docString().isEmpty()) {
      indent(inner);
      sb.append("doc ");
      TextSyntax.appendString(sb, g.docString());
      sb.append('\n');
    }
    for (Value init : g.initializers()) {
      indent(inner);
      initializer(init, inner);
      sb.append('\n');
    }
    for (Node n : g.nodes()) {
      indent(inner);
      node(n, typedInHeader, inner);
      sb.append('\n');
    }
    indent(level);
    sb.append('}');
  }

  private void header(Graph g, Set<Value> typedInHeader, boolean wrap, int level) {
    sb.append('(');
    List<Value> ins = g.inputs();
    for (int i = 0; i < ins.size(); i++) {
      separator(i, wrap, level);
      valueDecl(ins.get(i), true);
    }
    closeList(ins.size(), wrap, level);
    sb.append(" -> (");
    List<Value> outs = g.outputs();
    for (int i = 0; i < outs.size(); i++) {
      separator(i, wrap, level);
      Value v = outs.get(i);
      if (v == null) {
        sb.append('_');
        continue;
      }
      TextSyntax.appendValueName(sb, '%', v.name());
      if (typedInHeader.contains(v) && v.type() != null && outs.indexOf(v) == i) {
        sb.append(": ");
        type(v.type());
      }
    }
    closeList(outs.size(), wrap, level);
  }

  private void separator(int i, boolean wrap, int level) {
    if (wrap) {
      sb.append(i > 0 ? ",\n" : "\n");
      indent(level + 2);
    } else if (i > 0) {
      sb.append(", ");
    }
  }

  private void closeList(int size, boolean wrap, int level) {
    if (wrap && size > 0) {
      sb.append('\n');
      indent(level);
    }
    sb.append(')');
  }

  private void modelInfo(ModelInfo m) {
    ModelInfo d = ModelInfo.DEFAULT;
    sb.append("model {");
    int start = sb.length();
    if (m.irVersion() != d.irVersion()) {
      field(start, "ir_version").append(m.irVersion());
    }
    if (!m.producerName().equals(d.producerName())) {
      TextSyntax.appendString(field(start, "producer_name"), m.producerName());
    }
    if (!m.producerVersion().equals(d.producerVersion())) {
      TextSyntax.appendString(field(start, "producer_version"), m.producerVersion());
    }
    if (!m.domain().equals(d.domain())) {
      TextSyntax.appendString(field(start, "domain"), m.domain());
    }
    if (m.modelVersion() != d.modelVersion()) {
      field(start, "model_version").append(m.modelVersion());
    }
    if (!m.docString().equals(d.docString())) {
      TextSyntax.appendString(field(start, "doc"), m.docString());
    }
    sb.append('}');
  }

  private StringBuilder field(int start, String name) {
    if (sb.length() > start) {
      sb.append(", ");
    }
    return sb.append(name).append('=');
  }

  /** {@code %name[: type][ doc "..."]}. */
  private void valueDecl(Value v, boolean withType) {
    TextSyntax.appendValueName(sb, '%', v.name());
    if (withType && v.type() != null) {
      sb.append(": ");
      type(v.type());
    }
    doc(v.docString());
  }

  private void doc(String doc) {
    if (!doc.isEmpty()) {
      sb.append(" doc ");
      TextSyntax.appendString(sb, doc);
    }
  }

  private void initializer(Value v, int level) {
    sb.append("init ");
    Tensor t = v.constant();
    boolean typeMatches = t.type().equals(v.type());
    valueDecl(v, v.type() != null);
    sb.append(" = ");
    if (typeMatches) {
      tensorData(t);
    } else {
      tensor(t);
    }
  }

  private void node(Node n, Set<Value> typedInHeader, int level) {
    List<Value> outs = n.outputs();
    for (int i = 0; i < outs.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      Value v = outs.get(i);
      if (v == null) {
        sb.append('_');
      } else {
        valueDecl(v, !typedInHeader.contains(v));
      }
    }
    if (!outs.isEmpty()) {
      sb.append(" = ");
    }
    if (!n.domain().isEmpty()) {
      TextSyntax.appendIdent(sb, n.domain());
      sb.append("::");
    }
    TextSyntax.appendIdent(sb, n.opType());
    sb.append('(');
    List<Value> ins = n.inputs();
    for (int i = 0; i < ins.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      Value v = ins.get(i);
      if (v == null) {
        sb.append('_');
      } else {
        TextSyntax.appendValueName(sb, '%', v.name());
      }
    }
    sb.append(')');
    Map<String, Attribute> attrs = n.attributes();
    if (!attrs.isEmpty()) {
      boolean multiline = !n.subgraphs().isEmpty();
      sb.append(" {");
      int i = 0;
      for (Map.Entry<String, Attribute> e : attrs.entrySet()) {
        if (multiline) {
          sb.append(i > 0 ? ",\n" : "\n");
          indent(level + 1);
        } else if (i > 0) {
          sb.append(", ");
        }
        TextSyntax.appendIdent(sb, e.getKey());
        sb.append('=');
        attribute(e.getValue(), level + 1);
        i++;
      }
      if (multiline) {
        sb.append('\n');
        indent(level);
      }
      sb.append('}');
    }
    if (!n.name().isEmpty()) {
      sb.append(' ');
      TextSyntax.appendValueName(sb, '@', n.name());
    }
    doc(n.docString());
  }

  private void attribute(Attribute a, int level) {
    if (a instanceof Attribute.FloatAttr f) {
      TextSyntax.appendFloat(sb, f.value());
    } else if (a instanceof Attribute.IntAttr i) {
      sb.append(i.value());
    } else if (a instanceof Attribute.StringAttr s) {
      TextSyntax.appendBytes(sb, s.value());
    } else if (a instanceof Attribute.TensorAttr t) {
      tensor(t.value());
    } else if (a instanceof Attribute.GraphAttr g) {
      graph(g.value(), level);
    } else if (a instanceof Attribute.SparseTensorAttr s) {
      sparse(s);
    } else if (a instanceof Attribute.TypeAttr t) {
      typeAttr(t.value());
    } else if (a instanceof Attribute.FloatsAttr fs) {
      float[] v = fs.values();
      if (!emptyList("floats", v.length)) {
        sb.append('[');
        for (int i = 0; i < v.length; i++) {
          comma(i);
          TextSyntax.appendFloat(sb, v[i]);
        }
        sb.append(']');
      }
    } else if (a instanceof Attribute.IntsAttr is) {
      long[] v = is.values();
      if (!emptyList("ints", v.length)) {
        sb.append('[');
        for (int i = 0; i < v.length; i++) {
          if (i > 0) {
            sb.append(',');
          }
          sb.append(v[i]);
        }
        sb.append(']');
      }
    } else if (a instanceof Attribute.StringsAttr ss) {
      if (!emptyList("strings", ss.values().size())) {
        sb.append('[');
        for (int i = 0; i < ss.values().size(); i++) {
          comma(i);
          TextSyntax.appendBytes(sb, ss.values().get(i));
        }
        sb.append(']');
      }
    } else if (a instanceof Attribute.TensorsAttr ts) {
      if (!emptyList("tensors", ts.values().size())) {
        sb.append('[');
        for (int i = 0; i < ts.values().size(); i++) {
          comma(i);
          tensor(ts.values().get(i));
        }
        sb.append(']');
      }
    } else if (a instanceof Attribute.GraphsAttr gs) {
      if (!emptyList("graphs", gs.values().size())) {
        sb.append('[');
        for (int i = 0; i < gs.values().size(); i++) {
          sb.append(i > 0 ? ",\n" : "\n");
          indent(level + 1);
          graph(gs.values().get(i), level + 1);
        }
        sb.append('\n');
        indent(level);
        sb.append(']');
      }
    } else if (a instanceof Attribute.SparseTensorsAttr ss) {
      if (!emptyList("sparse_tensors", ss.values().size())) {
        sb.append('[');
        for (int i = 0; i < ss.values().size(); i++) {
          comma(i);
          sparse(ss.values().get(i));
        }
        sb.append(']');
      }
    } else if (a instanceof Attribute.TypesAttr ts) {
      if (!emptyList("types", ts.values().size())) {
        sb.append('[');
        for (int i = 0; i < ts.values().size(); i++) {
          comma(i);
          typeAttr(ts.values().get(i));
        }
        sb.append(']');
      }
    }
  }

  /** An empty list carries its kind ({@code ints[]}), since {@code []} alone would not say. */
  private boolean emptyList(String kind, int size) {
    if (size == 0) {
      sb.append(kind).append("[]");
      return true;
    }
    return false;
  }

  private void comma(int i) {
    if (i > 0) {
      sb.append(", ");
    }
  }

  private void typeAttr(ValueType t) {
    sb.append("type(");
    type(t);
    sb.append(')');
  }

  private void sparse(Attribute.SparseTensorAttr s) {
    sb.append("sparse(");
    tensor(s.values());
    sb.append(", ");
    tensor(s.indices());
    sb.append(", ");
    dims(s.dims());
    sb.append(')');
  }

  private void dims(long[] dims) {
    sb.append('[');
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(dims[i]);
    }
    sb.append(']');
  }

  private void type(ValueType t) {
    if (t == null) {
      sb.append('?');
    } else if (t instanceof ValueType.TensorType tt) {
      sb.append(tt.dtype().textName());
      shape(tt.shape());
    } else if (t instanceof ValueType.SequenceType s) {
      sb.append("seq<");
      type(s.elementType());
      sb.append('>');
    } else if (t instanceof ValueType.OptionalType o) {
      sb.append("optional<");
      type(o.elementType());
      sb.append('>');
    } else if (t instanceof ValueType.MapType m) {
      sb.append("map<").append(m.keyType().textName()).append(", ");
      type(m.valueType());
      sb.append('>');
    }
  }

  private void shape(Shape s) {
    if (!s.hasRank()) {
      sb.append("[*]");
      return;
    }
    sb.append('[');
    List<Dim> dims = s.dims();
    for (int i = 0; i < dims.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      Dim d = dims.get(i);
      if (d instanceof Dim.Static st) {
        sb.append(st.size());
      } else if (d instanceof Dim.Symbolic sym) {
        TextSyntax.appendIdent(sb, sym.name());
      } else {
        sb.append('?');
      }
    }
    sb.append(']');
  }

  /** A tensor with its type: {@code float32[2] [1.0, 2.0]}. */
  private void tensor(Tensor t) {
    sb.append(t.dtype().textName());
    dims(t.dims());
    sb.append(' ');
    tensorData(t);
  }

  /** A tensor's elements, as a literal list or as {@code base64"..."}. */
  private void tensorData(Tensor t) {
    DType dt = t.dtype();
    if (dt == DType.STRING) {
      byte[][] strings = t.strings();
      sb.append('[');
      for (int i = 0; i < strings.length; i++) {
        comma(i);
        TextSyntax.appendBytes(sb, strings[i]);
      }
      sb.append(']');
      return;
    }
    if (t.numElements() > LITERAL_MAX_ELEMENTS || !hasLiteral(dt)) {
      ByteBuffer encoded = Base64.getEncoder().encode(t.data());
      sb.append("base64\"");
      sb.append(new String(encoded.array(), 0, encoded.limit(), StandardCharsets.ISO_8859_1));
      sb.append('"');
      return;
    }
    ByteBuffer d = t.data();
    int n = (int) t.numElements();
    sb.append('[');
    for (int i = 0; i < n; i++) {
      comma(i);
      switch (dt) {
        case FLOAT -> TextSyntax.appendFloat(sb, d.getFloat(4 * i));
        case DOUBLE -> TextSyntax.appendDouble(sb, d.getDouble(8 * i));
        case FLOAT16 -> TextSyntax.appendHalf(sb, d.getShort(2 * i), false);
        case BFLOAT16 -> TextSyntax.appendHalf(sb, d.getShort(2 * i), true);
        case BOOL -> {
          byte b = d.get(i);
          if (b == 0 || b == 1) {
            sb.append(b == 1);
          } else {
            sb.append(b & 0xff);
          }
        }
        case INT8 -> sb.append(d.get(i));
        case UINT8 -> sb.append(d.get(i) & 0xff);
        case INT16 -> sb.append(d.getShort(2 * i));
        case UINT16 -> sb.append(d.getShort(2 * i) & 0xffff);
        case INT32 -> sb.append(d.getInt(4 * i));
        case UINT32 -> sb.append(d.getInt(4 * i) & 0xffffffffL);
        case INT64 -> sb.append(d.getLong(8 * i));
        case UINT64 -> sb.append(Long.toUnsignedString(d.getLong(8 * i)));
        default -> throw new IllegalStateException("no literal for " + dt);
      }
    }
    sb.append(']');
  }

  /** Element types with a literal spelling; the others (complex, float8, 4-bit) print as base64. */
  static boolean hasLiteral(DType dt) {
    return switch (dt) {
      case FLOAT, DOUBLE, FLOAT16, BFLOAT16, BOOL, INT8, UINT8, INT16, UINT16, INT32, UINT32,
          INT64, UINT64, STRING -> true;
      default -> false;
    };
  }
}

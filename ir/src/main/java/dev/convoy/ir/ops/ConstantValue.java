package dev.convoy.ir.ops;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.util.List;

/**
 * The value a {@code Constant} node holds, read one way for the catalog's Constant kernel and
 * shape function and for the optimizer, which turns Constant nodes into initializers. ONNX
 * requires exactly one of the value attributes; a node that sets none, several, or one of the
 * wrong kind is an invalid model, reported with the node's name.
 */
public final class ConstantValue {
  /** Every attribute that can carry a Constant's value, in the order the ONNX spec lists them. */
  public static final List<String> ATTRIBUTES = List.of("value", "sparse_value", "value_float",
      "value_floats", "value_int", "value_ints", "value_string", "value_strings");

  private ConstantValue() {}

  /** The one value attribute {@code node} sets. */
  public static String attribute(Node node) {
    String set = null;
    for (String n : ATTRIBUTES) {
      if (node.hasAttribute(n)) {
        if (set != null) {
          throw new InvalidModelException(NodeContext.where(node) + ": sets both '" + set
              + "' and '" + n + "'; exactly one value attribute is allowed");
        }
        set = n;
      }
    }
    if (set == null) {
      throw new InvalidModelException(
          NodeContext.where(node) + ": sets none of the value attributes " + ATTRIBUTES);
    }
    return set;
  }

  /** The value of {@code node}, or {@code null} when it is given as {@code sparse_value}. */
  public static Tensor dense(Node node) {
    String name = attribute(node);
    Attribute a = node.attributes().get(name);
    Tensor t = switch (name) {
      case "value" -> a instanceof Attribute.TensorAttr ta ? ta.value() : null;
      case "value_float" ->
          a instanceof Attribute.FloatAttr f ? Tensor.ofFloats(new long[0], f.value()) : null;
      case "value_floats" -> a instanceof Attribute.FloatsAttr f
          ? Tensor.ofFloats(new long[] {f.values().length}, f.values()) : null;
      case "value_int" ->
          a instanceof Attribute.IntAttr i ? Tensor.ofLongs(new long[0], i.value()) : null;
      case "value_ints" -> a instanceof Attribute.IntsAttr i
          ? Tensor.ofLongs(new long[] {i.values().length}, i.values()) : null;
      case "value_string" -> a instanceof Attribute.StringAttr s
          ? Tensor.ofStrings(new long[0], new byte[][] {s.value()}) : null;
      case "value_strings" -> a instanceof Attribute.StringsAttr s
          ? Tensor.ofStrings(new long[] {s.values().size()}, s.values().toArray(new byte[0][]))
          : null;
      default -> {
        if (!(a instanceof Attribute.SparseTensorAttr)) {
          throw wrongKind(node, name);
        }
        yield null;
      }
    };
    if (t == null && !name.equals("sparse_value")) {
      throw wrongKind(node, name);
    }
    return t;
  }

  private static InvalidModelException wrongKind(Node node, String name) {
    return new InvalidModelException(NodeContext.where(node) + ": attribute '" + name
        + "' has the wrong kind for a Constant value");
  }
}

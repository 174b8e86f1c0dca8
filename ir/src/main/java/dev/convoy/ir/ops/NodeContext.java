package dev.convoy.ir.ops;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.util.List;

/**
 * What kernels and shape functions share: the node, its catalog entry, the opset it runs at and
 * attribute reading that falls back to the entry's declared defaults.
 */
public abstract class NodeContext {
  protected final Node node;
  protected final OpDef def;
  protected final long opset;

  protected NodeContext(Node node, OpDef def, long opset) {
    this.node = node;
    this.def = def;
    this.opset = opset;
  }

  public Node node() {
    return node;
  }

  public OpDef def() {
    return def;
  }

  /** The opset version of the node's domain that the graph imports. */
  public long opset() {
    return opset;
  }

  public int outputCount() {
    return node.outputCount();
  }

  /** Whether output {@code i} exists and is not omitted. */
  public boolean hasOutput(int i) {
    return node.output(i) != null;
  }

  /** An error about this node, for bad data or attributes. */
  public ConvoyException error(String message) {
    return new InvalidModelException(where() + ": " + message);
  }

  /** {@code node 'conv1' (Conv)} or {@code Conv node} for unnamed nodes. */
  public String where() {
    return where(node);
  }

  /** How messages name {@code node}: {@code node 'conv1' (Conv)}, or {@code Conv node}. */
  public static String where(Node node) {
    return node.name().isEmpty()
        ? node.opType() + " node"
        : "node '" + node.name() + "' (" + node.opType() + ")";
  }

  /** The node's attribute, else the declared default, else {@code null}. */
  public Attribute attr(String name) {
    Attribute a = node.attributes().get(name);
    if (a != null) {
      return a;
    }
    AttrSpec spec = def.attribute(name);
    if (spec == null) {
      throw new IllegalStateException(def.id() + " does not declare attribute '" + name + "'");
    }
    if (spec.required()) {
      throw error("required attribute '" + name + "' is missing");
    }
    return spec.defaultValue();
  }

  /** Whether the node sets {@code name} itself (not just through a default). */
  public boolean hasAttr(String name) {
    return node.hasAttribute(name);
  }

  public long attrLong(String name) {
    Attribute a = attr(name);
    if (a instanceof Attribute.IntAttr i) {
      return i.value();
    }
    throw attrKind(name, "an int", a);
  }

  public int attrInt(String name) {
    return Math.toIntExact(attrLong(name));
  }

  public float attrFloat(String name) {
    Attribute a = attr(name);
    if (a instanceof Attribute.FloatAttr f) {
      return f.value();
    }
    if (a instanceof Attribute.IntAttr i) {
      return i.value();
    }
    throw attrKind(name, "a float", a);
  }

  public String attrString(String name) {
    Attribute a = attr(name);
    if (a instanceof Attribute.StringAttr s) {
      return s.text();
    }
    throw attrKind(name, "a string", a);
  }

  /** An ints attribute, or {@code null} when absent and without default. */
  public long[] attrLongs(String name) {
    Attribute a = attr(name);
    if (a == null) {
      return null;
    }
    if (a instanceof Attribute.IntsAttr i) {
      return i.values();
    }
    throw attrKind(name, "a list of ints", a);
  }

  /** A floats attribute, or {@code null} when absent and without default. */
  public float[] attrFloats(String name) {
    Attribute a = attr(name);
    if (a == null) {
      return null;
    }
    if (a instanceof Attribute.FloatsAttr f) {
      return f.values();
    }
    throw attrKind(name, "a list of floats", a);
  }

  /** A strings attribute, or {@code null} when absent and without default. */
  public List<String> attrStrings(String name) {
    Attribute a = attr(name);
    if (a == null) {
      return null;
    }
    if (a instanceof Attribute.StringsAttr s) {
      return s.texts();
    }
    throw attrKind(name, "a list of strings", a);
  }

  public Tensor attrTensor(String name) {
    Attribute a = attr(name);
    if (a == null) {
      return null;
    }
    if (a instanceof Attribute.TensorAttr t) {
      return t.value();
    }
    throw attrKind(name, "a tensor", a);
  }

  public Graph attrGraph(String name) {
    Attribute a = attr(name);
    if (a == null) {
      return null;
    }
    if (a instanceof Attribute.GraphAttr g) {
      return g.value();
    }
    throw attrKind(name, "a graph", a);
  }

  private ConvoyException attrKind(String name, String want, Attribute got) {
    return error("attribute '" + name + "' must be " + want + ", is "
        + (got == null ? "missing" : got.getClass().getSimpleName()));
  }

  /** Normalizes a possibly negative axis against {@code rank}, with a clear error when out of range. */
  public int axis(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= Math.max(rank, 1)) {
      throw error("axis " + axis + " is out of range for rank " + rank);
    }
    return (int) a;
  }
}

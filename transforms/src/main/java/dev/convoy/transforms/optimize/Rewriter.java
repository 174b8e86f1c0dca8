package dev.convoy.transforms.optimize;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.ShapeInferenceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The editor: the only way rules and passes change a graph (a test scans the optimizer's classes
 * for calls to the IR's mutators anywhere else). It keeps use lists right (through {@link Node}
 * and {@link Graph}), keeps graph output names stable (a replaced graph output hands its name to
 * the replacement, so an exported model keeps its output names), places new nodes before the node
 * they replace so the order stays topological, and tells its {@link Listener} about every
 * structural change, as MLIR's {@code RewriterBase::Listener} does: the worklist driver of {@link
 * RuleSetPass} listens to requeue what a change may affect; a pass that walks the graph itself
 * uses an editor without one.
 */
public final class Rewriter {
  /**
   * Hears about every structural change the editor makes. Names and types are annotations, not
   * structure: {@link #setName} and {@link #setType} are not reported.
   */
  public interface Listener {
    /** {@code node} was just added to a graph. */
    default void nodeInserted(Node node) {}

    /** {@code node} left its graph (reported for each node of its subgraphs too). */
    default void nodeErased(Node node) {}

    /** {@code node}'s op, attributes or inputs changed. */
    default void nodeModified(Node node) {}

    /** Every reader of {@code old} is about to read {@code replacement}. */
    default void valueReplaced(Value old, Value replacement) {}

    /** {@code value} lost a reader (an input was re-pointed or its reader erased). */
    default void inputDropped(Value value) {}
  }

  private static final Listener NONE = new Listener() {};

  private final PassContext ctx;
  private final Listener listener;

  /** An editor whose changes nobody listens to (for passes that walk the graph themselves). */
  public Rewriter(PassContext ctx) {
    this(ctx, NONE);
  }

  /** An editor that reports every structural change to {@code listener}. */
  public Rewriter(PassContext ctx, Listener listener) {
    this.ctx = ctx;
    this.listener = listener;
  }

  /** The run's options (input shapes, fold size cap). */
  public OptimizeOptions options() {
    return ctx.options();
  }

  /** Records a note for the optimization report (deduplicated). */
  public void note(String message) {
    ctx.note(message);
  }

  // ---- queries ----

  /** The single node reading {@code v}, or null when it has other readers or is a graph output. */
  public static Node soleConsumer(Value v) {
    if (v == null || v.isGraphOutput() || v.uses().size() != 1) {
      return null;
    }
    return v.uses().get(0).node();
  }

  /**
   * Whether {@link #replace}{@code (old, repl)} keeps the graph's interface. Always true unless
   * {@code old} is a graph output: then {@code repl} must be a node output of the same graph that
   * is not itself a graph output, so that it can take over the output's name.
   */
  public boolean canReplace(Value old, Value repl) {
    if (old == repl || !old.isGraphOutput()) {
      return true;
    }
    return repl.kind() == Value.Kind.NODE_OUTPUT
        && repl.owner() == old.owner()
        && !repl.isGraphOutput();
  }

  // ---- changes ----

  /**
   * Makes every reader of {@code old} read {@code repl}. When {@code old} is a graph output,
   * {@code repl} takes its place and its name (check {@link #canReplace} first). A replacement
   * must keep the value's type: when the op catalog infers for {@code repl}'s producer a type that
   * provably differs from {@code old}'s (another element type, rank or static size), the rule is
   * broken and this throws naming it, before the graph is changed.
   */
  public void replace(Value old, Value repl) {
    if (old == repl) {
      return;
    }
    if (!canReplace(old, repl)) {
      throw new IllegalStateException(
          "rule " + ctx.currentRule() + " replaces graph output " + old + " by " + repl);
    }
    requireSameType(old, repl);
    listener.valueReplaced(old, repl);
    old.replaceAllUsesWith(repl);
    if (old.isGraphOutput()) {
      Graph g = old.owner();
      String name = old.name();
      old.rename(g.uniqueName(name + "__replaced"));
      repl.rename(name);
      if (repl.type() == null) {
        repl.setType(old.type());
      }
      for (int i = 0; i < g.outputs().size(); i++) {
        if (g.outputs().get(i) == old) {
          g.setOutput(i, repl);
        }
      }
    }
  }

  private void requireSameType(Value old, Value repl) {
    Node p = repl.producer();
    if (p == null || old.type() == null) {
      return;
    }
    List<ValueType> types;
    try {
      types = new ShapeInference(OpCatalog.standard()).inferOutputs(p);
    } catch (ConvoyException e) {
      return; // the catalog cannot infer this producer: nothing to compare against
    }
    int k = p.outputs().indexOf(repl);
    ValueType inferred = k < types.size() ? types.get(k) : null;
    try {
      ShapeInference.merge(old.type(), inferred);
    } catch (ShapeInferenceException e) {
      throw new IllegalStateException("rule " + ctx.currentRule() + " replaces " + old.name()
          + " of type " + old.type() + " by " + repl.name() + " (" + p.opType()
          + ") of another type: " + e.getMessage(), e);
    }
  }

  /**
   * Replaces each read output of {@code node} by the value at the same index, then erases it.
   */
  public void replaceNode(Node node, List<Value> replacements) {
    for (int i = 0; i < replacements.size(); i++) {
      Value out = node.output(i);
      if (out != null && out.hasUses()) {
        replace(out, replacements.get(i));
      }
    }
    erase(node);
  }

  /**
   * Whether every read output of {@code node} can be replaced by the value at the same index: a
   * replacement exists and {@link #canReplace} holds.
   */
  public boolean canReplaceNode(Node node, List<Value> replacements) {
    for (int i = 0; i < replacements.size(); i++) {
      Value out = node.output(i);
      if (out != null && out.hasUses()
          && (replacements.get(i) == null || !canReplace(out, replacements.get(i)))) {
        return false;
      }
    }
    return true;
  }

  /** Removes {@code node}; none of its outputs may still be read. */
  public void erase(Node node) {
    List<Value> inputs = new ArrayList<>(node.inputs());
    node.graph().removeNode(node);
    listener.nodeErased(node);
    for (Graph g : node.subgraphs()) {
      g.forEachNode(listener::nodeErased);
    }
    for (Value in : inputs) {
      if (in != null) {
        listener.inputDropped(in);
      }
    }
  }

  /** Points input {@code index} of {@code node} at {@code v}. */
  public void setInput(Node node, int index, Value v) {
    Value old = node.input(index);
    node.setInput(index, v);
    if (old != null) {
      listener.inputDropped(old);
    }
    listener.nodeModified(node);
  }

  /** Appends input {@code v} to {@code node} (an optional input the node had omitted). */
  public void addInput(Node node, Value v) {
    node.addInput(v);
    listener.nodeModified(node);
  }

  /** Replaces every input of {@code node} ({@code null} entries: omitted optional inputs). */
  public void setInputs(Node node, List<Value> inputs) {
    for (Value old : node.inputs()) {
      if (old != null) {
        listener.inputDropped(old);
      }
    }
    node.setInputs(inputs);
    listener.nodeModified(node);
  }

  /** Removes an attribute of {@code node} (its default applies again). */
  public void removeAttribute(Node node, String name) {
    node.removeAttribute(name);
    listener.nodeModified(node);
  }

  /** Makes {@code node} an op of another type in the same domain, keeping inputs and outputs. */
  public void setOpType(Node node, String opType) {
    node.setOp(node.domain(), opType);
    listener.nodeModified(node);
  }

  /** Sets an attribute of {@code node}. */
  public void setAttribute(Node node, String name, Attribute value) {
    node.setAttribute(name, value);
    listener.nodeModified(node);
  }

  /**
   * A new node placed right before {@code anchor} in the anchor's graph, with {@code outputCount}
   * outputs named after {@code hint}.
   */
  public Node insertBefore(
      Node anchor, String opType, List<Value> inputs, int outputCount,
      Map<String, Attribute> attributes, String hint) {
    return insert(anchor, "", opType, inputs, outputCount, attributes, hint);
  }

  private Node insert(
      Node anchor, String domain, String opType, List<Value> inputs, int outputCount,
      Map<String, Attribute> attributes, String hint) {
    Graph g = anchor.graph();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < outputCount; i++) {
      String name = g.uniqueName(i == 0 ? hint : hint + "_" + i);
      for (int k = 2; names.contains(name); k++) {
        name = g.uniqueName(hint + "_" + i + "_" + k);
      }
      names.add(name);
    }
    Node n = g.addNodeBefore(anchor, domain, opType, inputs, names, attributes);
    listener.nodeInserted(n);
    return n;
  }

  /**
   * A copy of {@code original} (op, domain, name, attributes) placed right before {@code anchor},
   * reading {@code inputs}; its outputs get fresh names derived from the original's and the same
   * types. The original's attributes must not hold subgraphs (a subgraph belongs to one graph).
   */
  public Node copyBefore(Node anchor, Node original, List<Value> inputs) {
    Graph g = anchor.graph();
    List<String> names = new ArrayList<>();
    for (Value out : original.outputs()) {
      names.add(out == null ? null : g.uniqueName(out.name()));
    }
    Node n = g.addNodeBefore(
        anchor, original.domain(), original.opType(), inputs, names, original.attributes());
    n.setName(original.name());
    for (int k = 0; k < original.outputCount(); k++) {
      if (original.output(k) != null) {
        n.output(k).setType(original.output(k).type());
      }
    }
    listener.nodeInserted(n);
    return n;
  }

  /**
   * Replaces {@code node} by constants: output {@code k} becomes an initializer holding
   * {@code values.get(k)} under the output's own name, read by every reader of the output and
   * standing in its place when the output is a graph output. Then {@code node} is erased.
   */
  public void foldToConstants(Node node, List<Tensor> values) {
    Graph g = node.graph();
    List<Value> consts = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int k = 0; k < node.outputCount(); k++) {
      Value out = node.output(k);
      if (out == null || values.get(k) == null) {
        consts.add(null);
        names.add(null);
        continue;
      }
      Value c = g.addInitializer(g.uniqueName(out.name() + "__folded"), values.get(k));
      listener.valueReplaced(out, c);
      out.replaceAllUsesWith(c);
      for (int i = 0; i < g.outputs().size(); i++) {
        if (g.outputs().get(i) == out) {
          g.setOutput(i, c);
        }
      }
      consts.add(c);
      names.add(out.name());
    }
    erase(node);
    for (int k = 0; k < consts.size(); k++) {
      if (consts.get(k) != null) {
        consts.get(k).rename(names.get(k));
      }
    }
  }

  /**
   * A new node of {@code domain} placed right before {@code anchor}; the top-level graph gets an
   * opset import of {@code domain} at {@code version} if it has none.
   */
  public Node insertBefore(
      Node anchor, String domain, long version, String opType, List<Value> inputs,
      int outputCount, Map<String, Attribute> attributes, String hint) {
    Graph top = anchor.graph();
    while (!top.isTopLevel()) {
      top = top.parentGraph();
    }
    top.opsets().putIfAbsent(domain, version);
    return insert(anchor, domain, opType, inputs, outputCount, attributes, hint);
  }

  /**
   * Replaces a matched group of nodes by one new node of {@code domain} (opset {@code version},
   * imported by the top-level graph if it is not yet): placed right before {@code anchor} (a
   * matched node that every input of the new node precedes), named
   * {@code name}, with one output per entry of {@code replaced} (a {@code null} entry is an
   * omitted output) that takes that value's type and readers (and its place and name when it is a
   * graph output). Then erases {@code matched}, readers before what they read.
   */
  public Node fuse(
      Node anchor, List<Node> matched, String domain, long version, String opType,
      List<Value> inputs, Map<String, Attribute> attributes, String name,
      List<Value> replaced) {
    Graph g = anchor.graph();
    Graph top = g;
    while (!top.isTopLevel()) {
      top = top.parentGraph();
    }
    top.opsets().putIfAbsent(domain, version);
    List<String> names = new ArrayList<>();
    for (Value old : replaced) {
      names.add(old == null ? null : g.uniqueName(old.name() + "_fused"));
    }
    Node n = g.addNodeBefore(anchor, domain, opType, inputs, names, attributes);
    n.setName(name);
    for (int k = 0; k < replaced.size(); k++) {
      if (replaced.get(k) != null) {
        n.output(k).setType(replaced.get(k).type());
      }
    }
    listener.nodeInserted(n);
    for (int k = 0; k < replaced.size(); k++) {
      if (replaced.get(k) != null) {
        replace(replaced.get(k), n.output(k));
      }
    }
    matched.forEach(this::erase);
    return n;
  }

  /**
   * Infers the output types of a node this rewrite created, so that later steps of the same
   * rewrite (a replacement's type check, a rule reading shapes) see them; a node the catalog
   * cannot infer keeps its outputs untyped.
   */
  public void inferTypes(Node n) {
    try {
      new ShapeInference(OpCatalog.standard()).apply(n);
    } catch (ConvoyException e) {
      // untyped outputs: the driver re-infers when it visits the node
    }
  }

  /** A new initializer in {@code graph} holding {@code tensor}, named after {@code hint}. */
  public Value constant(Graph graph, Tensor tensor, String hint) {
    return graph.addInitializer(graph.uniqueName(hint), tensor);
  }

  /**
   * A new single-output {@code opType} node right before {@code anchor} that takes over {@code
   * replaced}: its output is named after it and has its type, every reader of {@code replaced}
   * reads it, and it is called {@code nodeName}. What the new node makes dead is the caller's to
   * erase.
   */
  public Node replaceWithNew(Node anchor, Value replaced, String opType, List<Value> inputs,
      Map<String, Attribute> attributes, String nodeName) {
    Node n = insertBefore(anchor, opType, inputs, 1, attributes, replaced.name());
    return takeOver(n, replaced, nodeName);
  }

  /**
   * {@link #replaceWithNew} for an op of {@code domain}, which gets an opset import at {@code
   * version} if the model has none.
   */
  public Node replaceWithNew(Node anchor, Value replaced, String domain, long version,
      String opType, List<Value> inputs, Map<String, Attribute> attributes, String nodeName) {
    Node n = insertBefore(anchor, domain, version, opType, inputs, 1, attributes, replaced.name());
    return takeOver(n, replaced, nodeName);
  }

  private Node takeOver(Node n, Value replaced, String nodeName) {
    n.setName(nodeName);
    n.output(0).setType(replaced.type());
    replace(replaced, n.output(0));
    return n;
  }

  /** Names {@code node} (names are annotations: no listener event). */
  public void setName(Node node, String name) {
    node.setName(name);
  }

  /** Records {@code v}'s type (a fact the driver refreshes itself: no listener event). */
  public void setType(Value v, ValueType type) {
    v.setType(type);
  }

  /** Drops an initializer nothing reads any more. */
  public void removeInitializer(Value init) {
    init.owner().removeInitializer(init);
  }

  /** Sets the opset import of {@code domain} in {@code graph} to {@code version}. */
  public void setOpsetImport(Graph graph, String domain, long version) {
    graph.opsets().put(domain, version);
  }

  /** Removes the opset import of {@code domain} from {@code graph}, if it has one. */
  public void removeOpsetImport(Graph graph, String domain) {
    graph.opsets().remove(domain);
  }

  /** Removes a metadata entry of {@code graph}, if it has one. */
  public void removeMetadata(Graph graph, String key) {
    graph.metadata().remove(key);
  }

  /**
   * Makes {@code v} graph output {@code index} of {@code g} in place of the value there, under that
   * value's name (which the old value gives up). Unlike {@link #replace} the type may differ: for
   * passes that change what a graph returns (its I/O layout).
   */
  public void setGraphOutput(Graph g, int index, Value v) {
    Value old = g.outputs().get(index);
    String name = old.name();
    old.rename(g.uniqueName(name + "__replaced"));
    v.rename(name);
    g.setOutput(index, v);
  }

  /** Sets the model metadata entry {@code key}. */
  public void setMetadata(Graph graph, String key, String value) {
    graph.metadata().put(key, value);
  }
}

package dev.convoy.ir.eval;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.graph.ValueType.OptionalType;
import dev.convoy.ir.graph.ValueType.SequenceType;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.ir.ops.ShapeValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Type and shape inference over whole graphs, subgraphs included: computes every value's type
 * from the graph inputs, the initializers and the catalog's shape functions. A type the model
 * declares for an intermediate value or a graph output (ONNX {@code value_info}, output types) is
 * a hint, never a fact: exporters leave stale ones (a batch of 1 where the batch is dynamic), so
 * an inferred shape replaces it wherever inference has one, and the declared type is kept only
 * where the catalog has nothing to say (an op it lacks, an output of unknown rank). Only a
 * declared element type that the op provably does not produce is a contradiction.
 *
 * <p>A node whose inference fails ({@link ShapeInferenceException}) does not stop the rest:
 * {@link #run} records the failure; at top level the node's outputs keep their previous types,
 * and a subgraph (If branch, Loop or Scan body) in which a node fails is restored to the types it
 * had and reported by {@link #uninferred()}: under the facts at hand that branch cannot run, so
 * nothing may be concluded, or rewritten, from its shapes.
 *
 * <p>Small constant values are propagated along the way (initializers, Constant nodes, and
 * deterministic nodes whose inputs are all small constants, such as the Shape-Gather-Concat
 * chains that compute Reshape targets), so shapes computed from shapes come out static.
 */
public final class ShapeInference {
  /** Constants up to this many elements are tracked and folded for shape purposes. */
  private static final int MAX_CONSTANT_ELEMENTS = 4096;

  private final OpCatalog catalog;
  private final Map<Value, NdArray> constants = new IdentityHashMap<>();
  /** Symbolic element values of shape-carrying integer tensors (see {@link ShapeValue}). */
  private final Map<Value, ShapeValue> shapeValues = new IdentityHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String> graphFailures = new ArrayList<>();
  private final Set<Graph> uninferred = Collections.newSetFromMap(new IdentityHashMap<>());

  public ShapeInference(OpCatalog catalog) {
    this.catalog = catalog;
  }

  /**
   * Infers types over {@code graph} and its subgraphs with the standard catalog; throws the first
   * failure, after inferring everything else.
   */
  public static void infer(Graph graph) {
    ShapeInference si = new ShapeInference(OpCatalog.standard());
    si.run(graph);
    if (!si.failures.isEmpty()) {
      throw new ShapeInferenceException(si.failures.get(0));
    }
  }

  /**
   * Infers and sets the output types of one node from its inputs' current types (for a pass
   * that just created it). Returns the output types (entries {@code null} when unknown).
   */
  public static List<ValueType> inferNode(Node node) {
    return new ShapeInference(OpCatalog.standard()).apply(node);
  }

  /** Infers types over {@code graph} and its subgraphs; failures are collected, not thrown. */
  public void run(Graph graph) {
    runNodes(graph, false);
  }

  /**
   * Infers every node of {@code graph} in order. Returns false at the first failure when
   * {@code stopAtFailure} (a subgraph, which its caller then restores); otherwise the failed
   * node's outputs keep their previous types and the rest goes on.
   */
  private boolean runNodes(Graph graph, boolean stopAtFailure) {
    for (Node n : graph.nodes()) {
      List<ValueType> before = new ArrayList<>();
      n.outputs().forEach(v -> before.add(v == null ? null : v.type()));
      try {
        List<ValueType> inferred = inferOutputs(n);
        for (int k = 0; k < n.outputCount(); k++) {
          Value o = n.output(k);
          if (o != null) {
            o.setType(overHint(n, o, k < inferred.size() ? inferred.get(k) : null));
          }
        }
      } catch (ShapeInferenceException e) {
        failures.add(e.getMessage());
        if (stopAtFailure) {
          return false;
        }
        graphFailures.add(e.getMessage());
        for (int k = 0; k < n.outputCount(); k++) {
          if (n.output(k) != null) {
            n.output(k).setType(before.get(k));
          }
        }
      }
    }
    return true;
  }

  /** What {@link #run} could not infer, in the order met, each naming the node. */
  public List<String> failures() {
    return List.copyOf(failures);
  }

  /**
   * The failures of nodes of the graph {@link #run} was given, not of its subgraphs: a branch or
   * body that fails is one that cannot run under the facts at hand (an If's untaken branch at
   * the given input shapes), which says nothing against the graph.
   */
  public List<String> graphFailures() {
    return List.copyOf(graphFailures);
  }

  /** Subgraphs whose inference failed under the current facts; their types are as they were. */
  public Set<Graph> uninferred() {
    return Collections.unmodifiableSet(uninferred);
  }

  /** Every value type of {@code g} and its nested subgraphs, by value. */
  private static Map<Value, ValueType> typesIn(Graph g) {
    Map<Value, ValueType> types = new IdentityHashMap<>();
    g.inputs().forEach(v -> types.put(v, v.type()));
    g.forEachNode(n -> {
      n.outputs().forEach(v -> {
        if (v != null) {
          types.put(v, v.type());
        }
      });
      n.subgraphs().forEach(b -> b.inputs().forEach(v -> types.put(v, v.type())));
    });
    return types;
  }

  /**
   * The inferred type of {@code out} where inference has one; the declared type only fills what
   * inference leaves open (no type at all, or no rank). A declared element type the op does not
   * produce is a contradiction.
   */
  private static ValueType overHint(Node node, Value out, ValueType inferred) {
    try {
      return overHint(out.type(), inferred);
    } catch (ShapeInferenceException e) {
      throw new ShapeInferenceException(where(node) + ": output '" + out.name()
          + "' is declared " + out.type() + " but " + e.getMessage());
    }
  }

  private static ValueType overHint(ValueType declared, ValueType inferred) {
    if (inferred == null) {
      return declared;
    }
    if (declared instanceof TensorType d && inferred instanceof TensorType i) {
      if (d.dtype() != i.dtype()) {
        throw new ShapeInferenceException("the op produces " + i);
      }
      return i.shape().hasRank() || !d.shape().hasRank() ? i : d;
    }
    if (declared instanceof SequenceType d && inferred instanceof SequenceType i) {
      return new SequenceType(overHint(d.elementType(), i.elementType()));
    }
    if (declared instanceof OptionalType d && inferred instanceof OptionalType i) {
      return new OptionalType(overHint(d.elementType(), i.elementType()));
    }
    return inferred;
  }

  /** Infers {@code node}'s output types, merges them into the outputs and returns them. */
  public List<ValueType> apply(Node node) {
    List<ValueType> inferred = inferOutputs(node);
    List<ValueType> result = new ArrayList<>();
    for (int k = 0; k < node.outputCount(); k++) {
      Value o = node.output(k);
      ValueType t = k < inferred.size() ? inferred.get(k) : null;
      if (o == null) {
        result.add(t);
        continue;
      }
      ValueType merged;
      try {
        merged = merge(o.type(), t);
      } catch (ShapeInferenceException e) {
        throw new ShapeInferenceException(where(node) + ": output '" + o.name() + "' is declared "
            + o.type() + " but " + e.getMessage());
      }
      o.setType(merged);
      result.add(merged);
    }
    return result;
  }

  /** The types the catalog infers for {@code node}'s outputs, without changing the graph. */
  public List<ValueType> inferOutputs(Node node) {
    OpDef def = catalog.find(node);
    if (def == null) {
      return List.of();
    }
    List<ValueType> inTypes = new ArrayList<>();
    List<NdArray> inConsts = new ArrayList<>();
    List<ShapeValue> inShapeValues = new ArrayList<>();
    for (Value v : node.inputs()) {
      inTypes.add(v == null ? null : v.type());
      inConsts.add(v == null ? null : constantOf(v));
      inShapeValues.add(v == null ? null : shapeValues.get(v));
    }
    long opset = OpCatalog.opsetOf(node);
    InferenceContext ctx = new InferenceContext(node, def, opset, inTypes, inConsts,
        inShapeValues, this::inferSubgraph);
    List<ValueType> out = null;
    if (def.shapeFn() != null) {
      try {
        out = def.shapeFn().infer(ctx);
      } catch (ShapeInferenceException e) {
        throw new ShapeInferenceException(where(node) + ": " + e.getMessage());
      }
    }
    List<ValueType> types = new ArrayList<>();
    for (int k = 0; k < node.outputCount(); k++) {
      types.add(out != null && k < out.size() ? out.get(k) : null);
    }
    recordShapeValues(node, ctx, types);
    foldSmallConstants(node, def, types, inConsts);
    return types;
  }

  /**
   * Keeps the shape values a shape function published; one whose every element is a known
   * number is a constant (Shape of a static tensor), so later nodes fold through it.
   */
  private void recordShapeValues(Node node, InferenceContext ctx, List<ValueType> types) {
    for (int k = 0; k < node.outputCount(); k++) {
      ShapeValue sv = ctx.publishedShapeValue(k);
      Value out = node.output(k);
      if (sv == null || out == null) {
        continue;
      }
      shapeValues.put(out, sv);
      if (sv.allNumbers() && types.get(k) instanceof TensorType tt && tt.dtype().isInteger()
          && tt.shape().isStatic() && tt.shape().numElements() == sv.size()) {
        constants.put(out, NdArray.fromLongs(tt.dtype(), tt.shape().sizes(), sv.toLongs()));
      }
    }
  }

  private NdArray constantOf(Value v) {
    NdArray c = constants.get(v);
    if (c != null) {
      return c;
    }
    Tensor t = v.constant();
    if (t != null && t.dtype().isSupported() && t.numElements() <= MAX_CONSTANT_ELEMENTS) {
      c = NdArray.fromTensor(t);
      constants.put(v, c);
      return c;
    }
    return null;
  }

  /**
   * Evaluates {@code node} when every input is a known small constant and every output is
   * inferred small, recording the values (and their exact types) for nodes downstream.
   */
  private void foldSmallConstants(Node node, OpDef def, List<ValueType> types,
      List<NdArray> inConsts) {
    if (!def.deterministic() || !node.subgraphs().isEmpty()) {
      return;
    }
    for (int i = 0; i < node.inputCount(); i++) {
      if (node.input(i) != null && inConsts.get(i) == null) {
        return;
      }
    }
    for (ValueType t : types) {
      if (!(t instanceof TensorType tt) || !tt.shape().isStatic()
          || tt.shape().numElements() > MAX_CONSTANT_ELEMENTS) {
        return;
      }
    }
    List<RuntimeValue> ins = new ArrayList<>(inConsts);
    List<RuntimeValue> outs;
    try {
      outs = new Evaluator(catalog, Parallel.serial()).evaluateNode(node, ins);
    } catch (ConvoyException e) {
      // Bad constant data surfaces when the graph runs; shape inference stays best-effort here.
      return;
    }
    for (int k = 0; k < node.outputCount(); k++) {
      if (node.output(k) != null && outs.get(k) instanceof NdArray a) {
        constants.put(node.output(k), a);
        types.set(k, new TensorType(a.dtype(), a.shape()));
      }
    }
  }

  private List<ValueType> inferSubgraph(Graph body, List<ValueType> inputTypes) {
    Map<Value, ValueType> snapshot = typesIn(body);
    for (int i = 0; i < body.inputs().size() && i < inputTypes.size(); i++) {
      // What the caller passes in (for a loop, a type that holds for every iteration) replaces
      // the declared type, which is a hint like any other.
      if (inputTypes.get(i) != null) {
        body.inputs().get(i).setType(inputTypes.get(i));
      }
    }
    if (!runNodes(body, true)) {
      snapshot.forEach(Value::setType);
      uninferred.add(body);
    }
    List<ValueType> out = new ArrayList<>();
    for (Value o : body.outputs()) {
      out.add(o.type());
    }
    return out;
  }

  /**
   * The more specific of a declared and an inferred type; throws {@link
   * ShapeInferenceException} when they provably disagree.
   */
  public static ValueType merge(ValueType declared, ValueType inferred) {
    if (declared == null) {
      return inferred;
    }
    if (inferred == null) {
      return declared;
    }
    if (declared instanceof TensorType d && inferred instanceof TensorType i) {
      if (d.dtype() != i.dtype()) {
        throw new ShapeInferenceException("the op produces " + i);
      }
      return new TensorType(d.dtype(), mergeShape(d.shape(), i.shape(), i));
    }
    if (declared instanceof SequenceType d && inferred instanceof SequenceType i) {
      return new SequenceType(merge(d.elementType(), i.elementType()));
    }
    if (declared instanceof OptionalType d && inferred instanceof OptionalType i) {
      return new OptionalType(merge(d.elementType(), i.elementType()));
    }
    if (declared.getClass() != inferred.getClass()) {
      throw new ShapeInferenceException("the op produces " + inferred);
    }
    return declared;
  }

  private static Shape mergeShape(Shape d, Shape i, TensorType inferred) {
    if (!d.hasRank()) {
      return i;
    }
    if (!i.hasRank()) {
      return d;
    }
    if (d.rank() != i.rank()) {
      throw new ShapeInferenceException("the op produces " + inferred);
    }
    List<Dim> out = new ArrayList<>(d.rank());
    for (int k = 0; k < d.rank(); k++) {
      Dim a = d.dim(k);
      Dim b = i.dim(k);
      if (a.isStatic() && b.isStatic() && a.size() != b.size()) {
        throw new ShapeInferenceException("the op produces " + inferred);
      }
      out.add(a.isStatic() || a instanceof Dim.Symbolic || !(b.isStatic() || b instanceof Dim.Symbolic) ? a : b);
    }
    return Shape.of(out);
  }

  private static String where(Node node) {
    return node.name().isEmpty()
        ? node.opType() + " node"
        : "node '" + node.name() + "' (" + node.opType() + ")";
  }
}

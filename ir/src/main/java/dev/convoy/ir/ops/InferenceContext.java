package dev.convoy.ir.ops;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.graph.ValueType.TensorType;
import java.util.List;
import java.util.function.BiFunction;

/**
 * What a {@link ShapeFn} sees: the node's input types ({@code null} when unknown or omitted),
 * the values of inputs known to be constant, attributes with defaults, and a way to infer a
 * subgraph's output types from its input types.
 */
public final class InferenceContext extends NodeContext {
  private final List<ValueType> inputTypes;
  private final List<NdArray> constants;
  private final BiFunction<Graph, List<ValueType>, List<ValueType>> subgraphInference;

  private final List<ShapeValue> shapeValues;
  private final ShapeValue[] publishedShapeValues;

  public InferenceContext(
      Node node, OpDef def, long opset, List<ValueType> inputTypes, List<NdArray> constants,
      BiFunction<Graph, List<ValueType>, List<ValueType>> subgraphInference) {
    this(node, def, opset, inputTypes, constants, List.of(), subgraphInference);
  }

  /**
   * A context that also knows the {@link ShapeValue}s of inputs (entries {@code null} where
   * unknown), for ops that compute shapes from shapes.
   */
  public InferenceContext(
      Node node, OpDef def, long opset, List<ValueType> inputTypes, List<NdArray> constants,
      List<ShapeValue> shapeValues,
      BiFunction<Graph, List<ValueType>, List<ValueType>> subgraphInference) {
    super(node, def, opset);
    this.inputTypes = inputTypes;
    this.constants = constants;
    this.shapeValues = shapeValues;
    this.publishedShapeValues = new ShapeValue[node.outputCount()];
    this.subgraphInference = subgraphInference;
  }

  /**
   * What is known about the elements of integer input {@code i} (a shape or part of one):
   * from a constant, or symbolic dims propagated from a {@code Shape}; {@code null} otherwise.
   */
  public ShapeValue shapeValue(int i) {
    ShapeValue v = i < shapeValues.size() ? shapeValues.get(i) : null;
    if (v != null) {
      return v;
    }
    NdArray c = constant(i);
    return c != null && c.dtype().isInteger() && c.rank() <= 1 ? ShapeValue.ofLongs(c.toLongs())
        : null;
  }

  /** Records what is known about the elements of output {@code k} (see {@link ShapeValue}). */
  public void setShapeValue(int k, ShapeValue value) {
    publishedShapeValues[k] = value;
  }

  /** The value a shape function recorded for output {@code k}, or {@code null}. */
  public ShapeValue publishedShapeValue(int k) {
    return k < publishedShapeValues.length ? publishedShapeValues[k] : null;
  }

  public int inputCount() {
    return node.inputCount();
  }

  public boolean hasInput(int i) {
    return node.input(i) != null;
  }

  /** The type of input {@code i}, or {@code null} when unknown or omitted. */
  public ValueType inputType(int i) {
    return i < inputTypes.size() ? inputTypes.get(i) : null;
  }

  /** The tensor type of input {@code i}, or {@code null} when unknown or not a tensor. */
  public TensorType tensorType(int i) {
    return inputType(i) instanceof TensorType t ? t : null;
  }

  /** Input {@code i}'s element type, or {@code null} when unknown. */
  public DType dtype(int i) {
    TensorType t = tensorType(i);
    return t == null ? null : t.dtype();
  }

  /** Input {@code i}'s shape, or unknown rank when unknown. */
  public Shape shape(int i) {
    TensorType t = tensorType(i);
    return t == null ? Shape.unknownRank() : t.shape();
  }

  /** Input {@code i}'s value when it is a known constant, else {@code null}. */
  public NdArray constant(int i) {
    return i < constants.size() ? constants.get(i) : null;
  }

  /** A constant integer input as long[], or {@code null} when not constant or omitted. */
  public long[] constantLongs(int i) {
    NdArray c = constant(i);
    return c == null || !c.dtype().isInteger() ? null : c.toLongs().clone();
  }

  /**
   * Infers the output types of a subgraph whose inputs get {@code bodyInputTypes} (entries may
   * be {@code null}; declared body input types win where known).
   */
  public List<ValueType> inferSubgraph(Graph body, List<ValueType> bodyInputTypes) {
    return subgraphInference.apply(body, bodyInputTypes);
  }

  /** A shape inference error; the driver adds which node it is about. */
  public ShapeInferenceException contradiction(String message) {
    return new ShapeInferenceException(message);
  }
}

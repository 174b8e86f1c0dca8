package dev.convoy.ir.ops;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.WeightCache;
import java.util.List;

/**
 * What a {@link Kernel} sees: the node's input values (omitted optional inputs are {@code
 * null}; a tensor input may be a view, see {@link NdArray}), attributes with defaults, the
 * buffers its outputs go to, the thread pool, the evaluator's cache of derived weights and a way
 * to run subgraphs.
 */
public final class KernelContext extends NodeContext {
  /**
   * Where a kernel's tensor outputs are written: a zero-filled array of the given type and
   * dimensions for output {@code index}, a view of a memory plan's arena at the output's planned
   * offset or a fresh array.
   */
  @FunctionalInterface
  public interface Outputs {
    NdArray take(int index, DType dtype, long[] dims);

    /** Fresh zero-filled arrays (an unplanned run, constant folding). */
    Outputs FRESH = (index, dtype, dims) -> NdArray.allocate(dtype, dims);
  }

  private final List<RuntimeValue> inputs;
  private final Parallel parallel;
  private final WeightCache weightCache;
  private final SubgraphRunner subgraphs;
  private final Outputs outputs;

  public KernelContext(
      Node node, OpDef def, long opset, List<RuntimeValue> inputs, Parallel parallel,
      WeightCache weightCache, SubgraphRunner subgraphs, Outputs outputs) {
    super(node, def, opset);
    this.inputs = inputs;
    this.parallel = parallel;
    this.weightCache = weightCache;
    this.subgraphs = subgraphs;
    this.outputs = outputs;
  }

  /**
   * The array output {@code i} is to be written into, zero-filled, of {@code dtype} and {@code
   * dims}: in a planned run a view of the arena at the output's planned place (so the kernel
   * writes {@link NdArray#array()} from {@link NdArray#offset()} and returns this array). When the
   * plan makes the output share an input's bytes (an elementwise op in place), the view holds that
   * input's elements instead of zeros, and the kernel must read element k of each input before it
   * writes element k.
   */
  public NdArray output(int i, DType dtype, long[] dims) {
    return outputs.take(i, dtype, dims);
  }

  public int inputCount() {
    return inputs.size();
  }

  /** Input {@code i}, or {@code null} when omitted or beyond the inputs given. */
  public RuntimeValue input(int i) {
    return i < inputs.size() ? inputs.get(i) : null;
  }

  public boolean hasInput(int i) {
    return input(i) != null;
  }

  /** All inputs (entries {@code null} where omitted). */
  public List<RuntimeValue> inputs() {
    return inputs;
  }

  /** Input {@code i}, which must be a present tensor. */
  public NdArray tensor(int i) {
    RuntimeValue v = input(i);
    if (v instanceof NdArray a) {
      return a;
    }
    throw error(v == null ? "input " + i + " is missing" : "input " + i + " must be a tensor, is "
        + v.describe());
  }

  /** Input {@code i} as a tensor, or {@code null} when omitted. */
  public NdArray optionalTensor(int i) {
    return hasInput(i) ? tensor(i) : null;
  }

  /** An integer tensor input (axes, shapes, pads) as long[], or {@code null} when omitted. */
  public long[] longs(int i) {
    NdArray a = optionalTensor(i);
    if (a == null) {
      return null;
    }
    if (!a.dtype().isInteger()) {
      throw error("input " + i + " must be an integer tensor, is " + a.describe());
    }
    return a.toLongs().clone();
  }

  /** A scalar (or one-element) input as double, or {@code fallback} when omitted. */
  public double scalarDouble(int i, double fallback) {
    NdArray a = optionalTensor(i);
    if (a == null) {
      return fallback;
    }
    if (a.size() != 1) {
      throw error("input " + i + " must hold one element, has shape " + a.shape());
    }
    return a.getDouble(0);
  }

  /** A scalar (or one-element) integer input, or {@code fallback} when omitted. */
  public long scalarLong(int i, long fallback) {
    NdArray a = optionalTensor(i);
    if (a == null) {
      return fallback;
    }
    if (a.size() != 1) {
      throw error("input " + i + " must hold one element, has shape " + a.shape());
    }
    return a.getLong(0);
  }

  /** The error for an element type this op does not compute with, naming the node. */
  public dev.convoy.ir.UnsupportedOpException unsupportedType(DType t) {
    return new dev.convoy.ir.UnsupportedOpException(
        where() + ": element type " + t.textName() + " is not supported");
  }

  /** Requires input {@code i}'s element type to be one of {@code allowed}. */
  public void requireType(int i, DType... allowed) {
    DType t = tensor(i).dtype();
    for (DType a : allowed) {
      if (a == t) {
        return;
      }
    }
    throw new dev.convoy.ir.UnsupportedOpException(
        where() + ": element type " + t.textName() + " of input " + i + " is not supported");
  }

  public Parallel parallel() {
    return parallel;
  }

  /**
   * Whether input {@code i} is a weight: an initializer no graph input overrides, or the output
   * of a standard {@code Constant}. Only a weight's storage is the same, unchanged, on every run,
   * so only derived forms of weights may be kept in the evaluator's {@link WeightCache}: any
   * other operand's array may be refilled by a caller, or be arena storage another value reuses.
   */
  public boolean isWeight(int i) {
    var inputs = node.inputs();
    if (i >= inputs.size() || inputs.get(i) == null) {
      return false;
    }
    var v = inputs.get(i);
    if (v.isInitializer()) {
      return !v.isGraphInput();
    }
    return v.producer() != null && v.producer().opType().equals("Constant")
        && v.producer().domain().isEmpty();
  }

  /**
   * The form {@code make} derives from input {@code i}'s storage {@code source}, for {@code key}
   * (see {@link WeightCache#derived}): made once and kept when the input is a weight ({@link
   * #isWeight}), made afresh on every call otherwise.
   */
  public <T> T weightForm(int i, Object source, Object key, java.util.function.Supplier<T> make) {
    return isWeight(i) ? weightCache.derived(source, key, make) : make.get();
  }

  /** Runs a subgraph of this node with the given inputs, capturing outer values by reference. */
  public List<RuntimeValue> runSubgraph(Graph body, List<RuntimeValue> bodyInputs) {
    if (subgraphs == null) {
      throw new ConvoyException(where() + ": subgraphs cannot run in this context");
    }
    return subgraphs.run(body, bodyInputs);
  }
}

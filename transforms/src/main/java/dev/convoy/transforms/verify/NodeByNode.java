package dev.convoy.transforms.verify;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds where an optimized graph first departs from its original: both run in Convoy's evaluator
 * on the same inputs with every intermediate value kept, and the candidate's nodes are walked in
 * execution order, each output compared with its counterpart in the original. A value keeps its
 * counterpart by name; a value a rewrite created under a fresh name inherits one from its readers
 * (when a reader has the same op and arity as the original node producing the reader's own
 * counterpart, its input {@code i} stands for that node's input {@code i}). The first node with
 * an output beyond tolerance is the {@link Divergence}.
 *
 * <p>When that node is a quantize op whose float inputs agree within tolerance and whose integer
 * outputs move by at most one, the difference is float noise amplified by rounding, not a wrong
 * rewrite: {@link Divergence#quantStep()} then holds the quantization step it moved by.
 */
public final class NodeByNode {
  private static final Set<String> QUANTIZE_OPS = Set.of("QuantizeLinear", "DynamicQuantizeLinear");

  private NodeByNode() {}

  /**
   * The first diverging node of the candidate: op, node name, inputs, the output that differs and
   * its comparison, and the original value that output stands for. {@code quantStep} is positive
   * only for quantization drift (else NaN), and {@code inputError} is the largest error among the
   * node's float inputs.
   */
  public record Divergence(
      String node, String op, List<String> inputs, OutputComparison output, String standsFor,
      double inputError, double quantStep) {
    public Divergence {
      inputs = List.copyOf(inputs);
    }

    /** Whether this is one quantization step of drift on agreeing float inputs. */
    public boolean isQuantDrift() {
      return quantStep > 0;
    }

    /** One line: the node, its op and inputs, and what differs. */
    public String describe() {
      OutputComparison c = output;
      String what = c.problem() != null ? c.problem()
          : "max abs error " + c.maxAbsError() + ", max rel error " + c.maxRelError();
      String s = "node '" + (node.isEmpty() ? c.name() : node) + "' (" + op + ", inputs "
          + String.join(", ", inputs) + ") output " + c.name()
          + (standsFor.equals(c.name()) ? "" : " (standing for " + standsFor + ")") + ": " + what;
      if (isQuantDrift()) {
        s += "; float inputs agree (max abs error " + inputError + "), one quantization step of "
            + quantStep;
      }
      return s;
    }
  }

  /** The divergence found, or why none was: {@code divergence} null and {@code note} saying why. */
  public record Localization(Divergence divergence, String note) {}

  /** Compares {@code candidate} with {@code original} node by node on {@code inputs}. */
  public static Localization locate(
      Graph original, Graph candidate, Map<String, Tensor> inputs, Tolerance tol) {
    Map<String, Tensor> want;
    Map<String, Tensor> got;
    try {
      Evaluator evaluator = Evaluator.standard();
      want = everyValue(evaluator, original, inputs);
      got = everyValue(evaluator, candidate, inputs);
    } catch (ConvoyException e) {
      return new Localization(null, "not localized: the evaluator cannot run both graphs ("
          + e.getMessage() + ")");
    }
    Map<Value, String> counterpart = counterparts(original, candidate, want, tol);
    for (Node n : candidate.nodes()) {
      for (Value out : n.outputs()) {
        OutputComparison c = compare(out, counterpart, want, got, tol);
        if (c != null && !c.pass()) {
          return new Localization(
              diverged(n, c, counterpart.get(out), counterpart, want, got, tol), null);
        }
      }
    }
    return new Localization(null,
        "not localized: every intermediate value agrees in Convoy's evaluator");
  }

  private static OutputComparison compare(Value v, Map<Value, String> counterpart,
      Map<String, Tensor> want, Map<String, Tensor> got, Tolerance tol) {
    String other = v == null ? null : counterpart.get(v);
    if (other == null || !got.containsKey(v.name())) {
      return null;
    }
    Tensor a = want.get(other);
    Tensor b = got.get(v.name());
    if (!other.equals(v.name()) && (a.dtype() != b.dtype() || !Arrays.equals(a.dims(), b.dims()))) {
      return null; // an inferred counterpart of another type stands for something else
    }
    return OrtVerifier.compareTensors(v.name(), a, b, tol);
  }

  private static Divergence diverged(Node n, OutputComparison c, String standsFor,
      Map<Value, String> counterpart,
      Map<String, Tensor> want, Map<String, Tensor> got, Tolerance tol) {
    List<String> inputs = new ArrayList<>();
    for (Value in : n.inputs()) {
      inputs.add(in == null ? "(none)" : in.name());
    }
    String op = n.domain().isEmpty() ? n.opType() : n.domain() + "::" + n.opType();
    double inputError = 0;
    boolean inputsAgree = true;
    for (Value in : n.inputs()) {
      if (in == null || !got.containsKey(in.name()) || !got.get(in.name()).dtype().isFloatingPoint()) {
        continue;
      }
      OutputComparison ic = in.isInitializer() && want.containsKey(in.name())
          ? OrtVerifier.compareTensors(in.name(), want.get(in.name()), got.get(in.name()), tol)
          : compare(in, counterpart, want, got, tol);
      if (ic == null || !ic.pass()) {
        inputsAgree = false;
      } else {
        inputError = Math.max(inputError, ic.maxAbsError());
      }
    }
    double step = Double.NaN;
    if (n.domain().isEmpty() && QUANTIZE_OPS.contains(n.opType()) && inputsAgree
        && movesByOneStep(n, counterpart, want, got, tol)) {
      step = stepOf(n, counterpart, want, got);
    }
    return new Divergence(n.name(), op, inputs, c, standsFor, inputError, step);
  }

  /** Every integer output moves by at most one; float outputs (a dynamic scale) agree. */
  private static boolean movesByOneStep(Node n, Map<Value, String> counterpart,
      Map<String, Tensor> want, Map<String, Tensor> got, Tolerance tol) {
    for (Value out : n.outputs()) {
      OutputComparison c = compare(out, counterpart, want, got, tol);
      if (c == null || c.problem() != null) {
        return false;
      }
      boolean integer = !got.get(out.name()).dtype().isFloatingPoint();
      if (integer ? c.maxAbsError() > 1 : !c.pass()) {
        return false;
      }
    }
    return true;
  }

  /** The step: the scale input of QuantizeLinear, the scale output of DynamicQuantizeLinear. */
  private static double stepOf(Node n, Map<Value, String> counterpart, Map<String, Tensor> want,
      Map<String, Tensor> got) {
    Tensor scale = n.opType().equals("DynamicQuantizeLinear")
        ? want.get(counterpart.get(n.output(1)))
        : got.get(n.input(1).name());
    double step = 0;
    for (double s : scale.toDoubleArray()) {
      step = Math.max(step, Math.abs(s));
    }
    return step > 0 ? step : Double.NaN;
  }

  /**
   * Runs {@code graph} with every top-level node output (and every initializer) kept: value name
   * to tensor. Values that are not tensors (sequences, optionals) are left out.
   */
  static Map<String, Tensor> everyValue(Evaluator evaluator, Graph graph, Map<String, Tensor> inputs) {
    Graph g = graph.copy();
    // Every intermediate becomes an output: a stored arena plan no longer fits, and runs without.
    g.metadata().remove(MemoryPlanCodec.KEY);
    Set<Value> outputs = Collections.newSetFromMap(new IdentityHashMap<>());
    outputs.addAll(g.outputs());
    for (Node n : g.nodes()) {
      for (Value v : n.outputs()) {
        if (v != null && outputs.add(v)) {
          g.addOutput(v);
        }
      }
    }
    Map<String, NdArray> in = new HashMap<>();
    inputs.forEach((k, v) -> in.put(k, NdArray.fromTensor(v)));
    Map<String, Tensor> all = new HashMap<>(inputs);
    for (Value init : g.initializers()) {
      all.put(init.name(), init.constant());
    }
    evaluator.run(g, in).forEach((k, v) -> {
      if (v instanceof NdArray a) {
        all.put(k, a.toTensor());
      }
    });
    return all;
  }

  /**
   * Candidate value to the name of the original value it stands for. A graph output stands for
   * the original output of its name. Another node output stands for the original value of its
   * name only when it is computed the same way: a producer of the same op, arity and attributes,
   * every input standing for the original producer's input at that index (an initializer counts
   * when its contents agree with that value). A fusion that keeps a node's name but takes over a
   * successor's result (a Conv absorbing a BatchNorm) thus loses the name; such values, and those
   * a rewrite created, inherit a counterpart from their readers instead.
   */
  static Map<Value, String> counterparts(
      Graph original, Graph candidate, Map<String, Tensor> originalValues, Tolerance tol) {
    Map<Value, String> map = new IdentityHashMap<>();
    for (Value in : candidate.inputs()) {
      if (originalValues.containsKey(in.name())) {
        map.put(in, in.name());
      }
    }
    Set<String> outputs = new HashSet<>();
    original.outputs().forEach(v -> outputs.add(v.name()));
    for (Node n : candidate.nodes()) {
      for (Value v : n.outputs()) {
        Value theirs = v == null ? null : original.localValue(v.name());
        if (theirs == null || theirs.producer() == null) {
          continue;
        }
        if ((v.isGraphOutput() && outputs.contains(v.name()))
            || sameComputation(n, theirs.producer(), map, originalValues, tol)) {
          map.put(v, v.name());
        }
      }
    }
    List<Node> nodes = candidate.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node reader = nodes.get(i);
      Node twin = twinOf(reader, original, map);
      if (twin == null) {
        continue;
      }
      for (int k = 0; k < reader.inputCount(); k++) {
        Value in = reader.input(k);
        Value theirs = twin.input(k);
        if (in != null && theirs != null && in.producer() != null && !map.containsKey(in)) {
          map.put(in, theirs.name());
        }
      }
    }
    return map;
  }

  private static boolean sameComputation(Node n, Node p, Map<Value, String> map,
      Map<String, Tensor> originalValues, Tolerance tol) {
    if (!p.opType().equals(n.opType()) || !p.domain().equals(n.domain())
        || p.inputCount() != n.inputCount() || !p.attributes().equals(n.attributes())) {
      return false;
    }
    for (int k = 0; k < n.inputCount(); k++) {
      Value c = n.input(k);
      Value o = p.input(k);
      if (c == null || o == null) {
        if (c != o) {
          return false;
        }
      } else if (c.isInitializer()) {
        Tensor want = originalValues.get(o.name());
        if (want == null || !OrtVerifier.compareTensors(o.name(), want, c.constant(), tol).pass()) {
          return false;
        }
      } else if (!o.name().equals(map.get(c))) {
        return false;
      }
    }
    return true;
  }

  /** The original node that {@code reader} stands for: same op and arity as its output's producer. */
  private static Node twinOf(Node reader, Graph original, Map<Value, String> map) {
    for (Value out : reader.outputs()) {
      String name = out == null ? null : map.get(out);
      Value theirs = name == null ? null : original.localValue(name);
      Node p = theirs == null ? null : theirs.producer();
      if (p != null && p.opType().equals(reader.opType()) && p.domain().equals(reader.domain())
          && p.inputCount() == reader.inputCount()) {
        return p;
      }
    }
    return null;
  }
}

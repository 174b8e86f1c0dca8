package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A deterministic node whose inputs are all constants is evaluated once, through the catalog's
 * reference kernel, and its outputs become initializers under the same names. Never folded: ops
 * the evaluator lacks (noted for the report), random ops, nodes owning subgraphs,
 * dequantization of constant weights (QDQ models keep it), and results whose size is above the
 * fold cap or cannot be bounded before evaluating (the output shapes must infer static, so a
 * {@code ConstantOfShape} asking for 100 GB is never run), and results that ONNX Runtime would
 * compute differently at run time ({@link RuntimeAgreement}: undefined casts, overflowing integer
 * reductions, half-float arithmetic, NaN ordering, signed zeros), each with a note.
 */
public final class FoldConstants implements MatchingRule<List<Tensor>> {
  public static final String NAME = "fold-constants";

  /**
   * Deterministic ops kept anyway: dequantizing constant weights would turn a QDQ-quantized model
   * into a float one (4x the weight bytes) and hide the pattern quantized runtimes look for.
   */
  private static final Set<String> KEPT = Set.of("DequantizeLinear");

  private final Evaluator evaluator = new Evaluator(OpCatalog.standard(), Parallel.serial());

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.anyOp();
  }

  /** The node's outputs, evaluated, or why it is not folded. */
  @Override
  public Match<List<Tensor>> match(Node n, Rewriter rw) {
    if (n.inputCount() == 0 || n.is("Constant") || !n.subgraphs().isEmpty()) {
      return Match.fail(opName(n) + " has no inputs, is a Constant or owns subgraphs");
    }
    if (n.domain().isEmpty() && KEPT.contains(n.opType())) {
      return Match.fail(opName(n) + " is kept: folding it would dequantize the weights");
    }
    for (Value in : n.inputs()) {
      if (in != null && (in.constant() == null || !in.constant().dtype().isSupported())) {
        return Match.fail(in.name() + " is not a constant of a supported type");
      }
    }
    OpDef def = evaluator.catalog().find(n);
    if (def == null) {
      rw.note("fold-constants: Convoy's evaluator lacks " + opName(n) + " at opset "
          + OpCatalog.opsetOf(n) + "; its nodes with constant inputs are left unfolded");
      return Match.fail("the evaluator lacks " + opName(n));
    }
    if (!def.deterministic() || !Determinism.isDeterministic(n)) {
      return Match.fail(opName(n) + " is not deterministic");
    }
    if (!withinCap(n, rw)) {
      return Match.fail(describe(n) + " has outputs that are not static or above the fold cap");
    }
    return evaluate(n, rw);
  }

  /** Whether the inferred outputs are static and their total size is within the fold cap. */
  private static boolean withinCap(Node n, Rewriter rw) {
    List<ValueType> types;
    try {
      types = new ShapeInference(OpCatalog.standard()).inferOutputs(n);
    } catch (ConvoyException e) {
      return false;
    }
    long bytes = 0;
    for (int k = 0; k < n.outputCount(); k++) {
      if (n.output(k) == null) {
        continue;
      }
      ValueType t = k < types.size() ? types.get(k) : null;
      if (!(t instanceof ValueType.TensorType tt) || !tt.shape().isStatic()) {
        return false;
      }
      try {
        bytes += Math.multiplyExact(tt.shape().numElements(), Math.max(1, tt.dtype().byteSize()));
      } catch (ArithmeticException | ConvoyException e) {
        bytes = Long.MAX_VALUE;
      }
      if (bytes > rw.options().foldSizeCapBytes()) {
        rw.note("fold-constants: " + describe(n) + " would produce " + tt + " ("
            + bytes + " bytes), above the fold cap of " + rw.options().foldSizeCapBytes()
            + " bytes; left unfolded");
        return false;
      }
    }
    return true;
  }

  private Match<List<Tensor>> evaluate(Node n, Rewriter rw) {
    List<RuntimeValue> ins = new ArrayList<>();
    List<Tensor> constants = new ArrayList<>();
    for (Value in : n.inputs()) {
      ins.add(in == null ? null : NdArray.fromTensor(in.constant()));
      constants.add(in == null ? null : in.constant());
    }
    List<Tensor> outs = new ArrayList<>();
    try {
      List<RuntimeValue> results = evaluator.evaluateNode(n, ins);
      for (int k = 0; k < n.outputCount(); k++) {
        if (n.output(k) == null) {
          outs.add(null);
        } else if (results.get(k) instanceof NdArray a) {
          outs.add(a.toTensor());
        } else {
          return Match.fail(n.output(k).name() + " is not a tensor");
        }
      }
    } catch (ConvoyException e) {
      rw.note("fold-constants: evaluating " + describe(n) + " failed (" + e.getMessage()
          + "); left unfolded");
      return Match.fail("evaluating " + describe(n) + " failed");
    }
    String refusal = RuntimeAgreement.refusal(n, constants, outs);
    if (refusal != null) {
      rw.note("fold-constants: " + describe(n) + " has " + refusal + "; left unfolded");
      return Match.fail(describe(n) + " has " + refusal);
    }
    return Match.of(outs);
  }

  private static String opName(Node n) {
    return (n.domain().isEmpty() ? "" : n.domain() + "::") + n.opType();
  }

  private static String describe(Node n) {
    String op = opName(n);
    return n.name().isEmpty() ? op + " producing " + n.output(0) : op + " node '" + n.name() + "'";
  }

  @Override
  public void apply(Node n, List<Tensor> outputs, Rewriter rw) {
    rw.foldToConstants(n, outputs);
  }
}

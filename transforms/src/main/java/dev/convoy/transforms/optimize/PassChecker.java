package dev.convoy.transforms.optimize;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;

/**
 * The checks of verify-each-pass mode. After every rewrite: the structural verifier, so a rule
 * that breaks the graph (a cycle, a dangling value) is named at once. After every pass that
 * changed something: the verifier again, then the evaluator on seeded inputs, compared with the
 * original graph's outputs (rtol 1e-4, atol 1e-5), so the first pass that changes the outputs is
 * named. When that pass is a rule set, it is bisected down to the rewrite: the pass runs again on
 * the graph as it was before it, with the numeric check after every rewrite, so the first rule
 * whose rewrite changes the outputs is named too ({@link OutputsChangedException}). When the
 * evaluator cannot run the original (an op it lacks), only the structural checks run, and {@link
 * #numericCheckOff()} says why.
 */
final class PassChecker {
  private final Evaluator evaluator = new Evaluator(OpCatalog.standard(), Parallel.available());
  private final Map<String, Tensor> inputs;
  private final Map<String, Tensor> expected;
  private final String numericCheckOff;

  PassChecker(Graph original, OptimizeOptions options) {
    Map<String, Tensor> in = null;
    Map<String, Tensor> out = null;
    String off = null;
    try {
      in = SeededInputs.generate(original, options.inputShapes());
      out = evaluator.runTensors(original, in);
    } catch (ConvoyException e) {
      off = "verify-each-pass: numeric check off, the evaluator cannot run the input graph: "
          + e.getMessage();
    }
    this.inputs = in;
    this.expected = out;
    this.numericCheckOff = off;
  }

  /** Why the numeric check is off, or null when it runs. */
  String numericCheckOff() {
    return numericCheckOff;
  }

  void afterRewrite(Graph g, String rule) {
    List<String> problems = GraphVerifier.verify(g);
    if (!problems.isEmpty()) {
      throw new OptimizeException("rule '" + rule + "' broke the graph: " + summary(problems));
    }
  }

  /**
   * Checks the graph after {@code pass} changed it; {@code before} is a copy of the graph from
   * before the pass when the pass is a rule set that can be bisected (else null).
   */
  void afterPass(Graph g, Pass pass, Graph before, OptimizeOptions options) {
    List<String> problems = GraphVerifier.verify(g);
    if (!problems.isEmpty()) {
      throw new OptimizeException("pass '" + pass.name() + "' broke the graph: " + summary(problems));
    }
    if (expected == null) {
      return;
    }
    Map<String, Tensor> actual;
    try {
      actual = evaluator.runTensors(g, inputs);
    } catch (ConvoyException e) {
      throw new OptimizeException(
          "pass '" + pass.name() + "' left a graph the evaluator cannot run: " + e.getMessage(), e);
    }
    var v = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
    if (!v.pass()) {
      if (before != null) {
        bisect(before, pass, options);
      }
      throw new OutputsChangedException(pass.name(), "", v.firstFailure());
    }
  }

  /**
   * Runs {@code pass} again on {@code before} with the numeric check after every rewrite; throws
   * naming the first rule whose rewrite changes the outputs, returns when none does alone.
   */
  private void bisect(Graph before, Pass pass, OptimizeOptions options) {
    PassContext ctx = new PassContext(options, (g, rule) -> {
      afterRewrite(g, rule);
      Map<String, Tensor> actual;
      try {
        actual = evaluator.runTensors(g, inputs);
      } catch (ConvoyException e) {
        return; // a graph between rewrites the evaluator cannot run says nothing about the rule
      }
      var v = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
      if (!v.pass()) {
        throw new OutputsChangedException(pass.name(), rule, v.firstFailure());
      }
    });
    pass.run(before, ctx);
  }

  private static String summary(List<String> problems) {
    return problems.size() <= 3
        ? String.join("; ", problems)
        : String.join("; ", problems.subList(0, 3)) + " (and " + (problems.size() - 3) + " more)";
  }
}

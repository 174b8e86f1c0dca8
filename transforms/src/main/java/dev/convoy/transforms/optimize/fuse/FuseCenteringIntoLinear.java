package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;

/**
 * {@code y - ReduceMean(y, last axis)} where {@code y = x W + b} (a {@code Gemm} or a
 * {@code MatMul}, constant float32 weights) is {@code x W' + b'} with each row of the weights and
 * the bias centered on its mean over the output features: the mean of {@code y} over the last
 * axis is {@code x mean(W) + mean(b)}, linear in {@code x}. A layer normalization after a linear
 * layer (the openWakeWord heads) saves its ReduceMean and Sub. Exact in real arithmetic; in float
 * the centered output is computed without the cancellation of the subtraction. {@code y} must feed
 * only the mean and the Sub. O2 runs it after the fusions, so a LayerNormalization fusion where
 * the target has one comes first.
 */
public final class FuseCenteringIntoLinear implements TreeRule<FuseCenteringIntoLinear.Centered> {
  public static final String NAME = "fuse-centering-into-linear";

  /** The linear node and its centered weights and bias (null where it has none). */
  public record Centered(Node linear, Tensor weights, Tensor bias) {}

  private static final PatternTree TREE =
      op("Sub", var("y"), op("ReduceMean", var("y")).named("mean").withExtraInputs());

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Centered> check(Binding m, Rewriter rw) {
    Value y = m.value("y");
    Node lin = y.producer();
    if (lin == null || !lin.domain().isEmpty() || !(lin.is("Gemm") || lin.is("MatMul"))
        || lin.intAttr("transA", 0) != 0) {
      return Match.fail(y.name() + " is not produced by a MatMul or a Gemm without transA");
    }
    if (y.isGraphOutput()) {
      return Match.fail(y.name() + " is a graph output");
    }
    if (y.uses().size() != 2) {
      return Match.fail(y.name() + " has another consumer");
    }
    Node mean = m.node("mean");
    int rank = Facts.rank(y);
    long[] axes = Facts.attrOrInput(mean, "axes", 1, null);
    if (rank < 1 || mean.intAttr("keepdims", 1) != 1 || axes == null || axes.length != 1
        || (axes[0] < 0 ? axes[0] + rank : axes[0]) != rank - 1) {
      return Match.fail(mean.name() + " does not average over the last axis keeping it");
    }
    Tensor w = lin.input(1) == null ? null : lin.input(1).constant();
    if (w == null || w.dtype() != DType.FLOAT || w.rank() != 2) {
      return Match.fail(lin.name() + " has no constant float32 weight matrix");
    }
    boolean transB = lin.is("Gemm") && lin.intAttr("transB", 0) != 0;
    long n = transB ? w.dim(0) : w.dim(1);
    Tensor bias = null;
    if (lin.is("Gemm") && lin.input(2) != null) {
      Tensor c = lin.input(2).constant();
      if (c == null || c.dtype() != DType.FLOAT || c.numElements() != n
          || c.rank() < 1 || c.dim(c.rank() - 1) != n) {
        return Match.fail(lin.name() + "'s bias is not a constant vector over the outputs");
      }
      bias = Tensor.ofFloats(c.dims(), centered(c.toFloatArray(), 1, (int) n, false));
    }
    if (!rw.canReplace(m.root().output(0), y)) {
      return Match.fail(m.root().output(0).name() + " is a graph output");
    }
    int k = (int) (transB ? w.dim(1) : w.dim(0));
    float[] cw = centered(w.toFloatArray(), k, (int) n, transB);
    return Match.of(new Centered(lin, Tensor.ofFloats(w.dims(), cw), bias));
  }

  /**
   * Each of the {@code k} rows over {@code n} outputs minus its mean; the rows are the columns of
   * {@code values} ({@code k x n}) or, when {@code transposed}, its rows read across ({@code n x k}).
   */
  private static float[] centered(float[] values, int k, int n, boolean transposed) {
    float[] out = new float[values.length];
    for (int r = 0; r < k; r++) {
      double sum = 0;
      for (int j = 0; j < n; j++) {
        sum += values[transposed ? j * k + r : r * n + j];
      }
      double mean = sum / n;
      for (int j = 0; j < n; j++) {
        int at = transposed ? j * k + r : r * n + j;
        out[at] = (float) (values[at] - mean);
      }
    }
    return out;
  }

  @Override
  public void apply(Node sub, Centered c, Rewriter rw) {
    Node lin = c.linear();
    var g = lin.graph();
    rw.setInput(lin, 1, rw.constant(g, c.weights(), lin.input(1).name() + "_centered"));
    if (c.bias() != null) {
      rw.setInput(lin, 2, rw.constant(g, c.bias(), lin.input(2).name() + "_centered"));
    }
    Node mean = sub.input(1).producer();
    rw.replace(sub.output(0), lin.output(0));
    rw.erase(sub);
    rw.erase(mean);
  }
}

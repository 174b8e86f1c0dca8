package dev.convoy.runners.bench;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.OpTimes;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.fuse.FuseAttention;
import dev.convoy.transforms.optimize.fuse.FuseAttentionHeads;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code fuse-attention} buys the evaluator: per model where it fires, one thread, the O2
 * {@code .cvy} with the rule disabled against the same with it (alternating in one run), and the
 * time the fused {@code convoy::Attention} kernels take against the ops they replaced (Softmax,
 * the two MatMuls per block and their scaling), from the evaluator's per-op times over the same
 * runs. Models where the rule does not fire are left out. Then what {@code fuse-attention-heads}
 * adds: the same {@code .cvy} with the head split and merge left around the fused op against the
 * one whose op reads merged heads in place (a second alternating pair).
 */
public final class AttentionBenchmark {
  private AttentionBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps) {
    BenchTable table = new BenchTable(
        "Evaluator on the O2 .cvy with and without fuse-attention (one thread)",
        "model", "attention blocks", "nodes without", "nodes with", "without ms", "with ms",
        "with / without", "unfused core ms", "convoy::Attention ms", "kernel / core",
        "nodes split heads", "split heads ms", "merged heads ms", "merged / split");
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(1));
    for (Path model : models) {
      Graph g = Models.load(model);
      Map<String, Tensor> inputs =
          SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
      Graph without = Optimizer.optimize(g, options(Set.of(FuseAttention.NAME))).graph();
      Graph with = Optimizer.optimize(g, options(Set.of())).graph();
      Graph split = Optimizer.optimize(g, options(Set.of(FuseAttentionHeads.NAME))).graph();
      long blocks = with.nodes().stream().filter(n -> n.opType().equals("Attention")).count();
      if (blocks == 0) {
        continue;
      }
      double[] t = FusedTargetBenchmark.interleaved(warmup, reps, () -> ev.runTensors(without,
          inputs), () -> ev.runTensors(with, inputs));
      double core = opMillis(without, inputs, reps, "Softmax", "MatMul", "Div", "Mul")
          - opMillis(with, inputs, reps, "MatMul", "Div", "Mul");
      double kernel = opMillis(with, inputs, reps, "Attention");
      double[] h = FusedTargetBenchmark.interleaved(warmup, reps, () -> ev.runTensors(split,
          inputs), () -> ev.runTensors(with, inputs));
      table.row(model.getFileName().toString(), blocks, without.totalNodeCount(),
          with.totalNodeCount(), t[0], t[1], t[1] / t[0], core, kernel, kernel / core,
          split.totalNodeCount(), h[0], h[1], h[1] / h[0]);
    }
    return table.note(String.format("One thread; median of %d runs after %d warm-up runs (and"
        + " at least 1 s of them), alternating. Unfused core: per-op time (per run) of Softmax, MatMul, Div and Mul"
        + " without the rule minus that of MatMul, Div and Mul with it.", reps, warmup));
  }

  private static OptimizeOptions options(Set<String> disabled) {
    return new OptimizeOptions(Level.O2, Set.of(), disabled, null, Map.of(), false,
        OptimizeOptions.DEFAULT_FOLD_CAP, Target.CVY);
  }

  /** Milliseconds per run spent in kernels of {@code ops} over {@code reps} runs of {@code g}. */
  private static double opMillis(Graph g, Map<String, Tensor> inputs, int reps, String... ops) {
    OpTimes times = new OpTimes();
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(1)).recordOpTimes(times);
    for (int i = 0; i < reps; i++) {
      ev.runTensors(g, inputs);
    }
    Set<String> wanted = Set.of(ops);
    return times.entries().stream().filter(e -> wanted.contains(e.op()))
        .mapToLong(OpTimes.Entry::nanos).sum() / 1e6 / reps;
  }
}

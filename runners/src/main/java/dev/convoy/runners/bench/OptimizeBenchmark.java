package dev.convoy.runners.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Convoy's O1 optimizer against ONNX Runtime's offline optimization at level BASIC, per model, in
 * one run: the node count (subgraphs included) of Convoy's result and of the model ORT saves
 * through {@code setOptimizedModelFilePath}, Convoy's optimize time beside ORT's session creation
 * time, and Convoy's O2 node count for reference. Both get the same concrete input shapes (the
 * model's oracle args; ORT through symbolic dimension overrides). Goal: no more nodes than ORT
 * BASIC, time within 2x.
 */
public final class OptimizeBenchmark {
  private OptimizeBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps)
      throws OrtException, IOException {
    BenchTable table = new BenchTable("Convoy O1 vs ONNX Runtime BASIC offline optimization",
        "model", "nodes", "convoy O1 nodes", "ort BASIC nodes", "convoy ms", "ort ms",
        "convoy / ort time", "goal met", "convoy O2 nodes");
    Path tmp = Files.createTempDirectory("convoy-optbench");
    int met = 0;
    try {
      for (Path model : models) {
        Graph g = OnnxImporter.importFile(model);
        Map<String, long[]> shapes = OracleArgs.read(model).shapes();
        OptimizeOptions options = new OptimizeOptions(Level.O1, Set.of(), Set.of(), null, shapes,
            false, OptimizeOptions.DEFAULT_FOLD_CAP);
        Path saved = tmp.resolve(model.getFileName());
        double[] convoyMs = new double[reps];
        double[] ortMs = new double[reps];
        for (int i = 0; i < warmup; i++) {
          Optimizer.optimize(g, options);
          ortBasic(model, g, shapes, saved);
        }
        OptimizeResult result = null;
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          result = Optimizer.optimize(g, options);
          convoyMs[i] = (System.nanoTime() - t0) / 1e6;
          ortMs[i] = ortBasic(model, g, shapes, saved);
        }
        int convoyNodes = result.graph().totalNodeCount();
        int ortNodes = OnnxImporter.importFile(saved).totalNodeCount();
        double c = BenchTable.median(convoyMs);
        double o = BenchTable.median(ortMs);
        boolean goal = convoyNodes <= ortNodes && c <= 2 * o;
        met += goal ? 1 : 0;
        OptimizeOptions o2 = new OptimizeOptions(Level.O2, Set.of(), Set.of(), null, shapes,
            false, OptimizeOptions.DEFAULT_FOLD_CAP);
        table.row(model.getFileName().toString(), g.totalNodeCount(), convoyNodes, ortNodes, c, o,
            c / o, goal ? "yes" : "no", Optimizer.optimize(g, o2).graph().totalNodeCount());
      }
    } finally {
      try (var s = Files.list(tmp)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(tmp);
    }
    return table.note("Median of " + reps + " runs after " + warmup + " warm-up runs; goal met on "
        + met + " of " + models.size() + " models. convoy ms = Optimizer.optimize on an imported"
        + " graph (import excluded); ort ms = session creation with BASIC optimization writing the"
        + " optimized model (file parsing included). Nodes include those inside subgraphs.");
  }

  /** Milliseconds for ORT to create a BASIC-optimized session, saving the result to {@code out}. */
  private static double ortBasic(Path model, Graph g, Map<String, long[]> shapes, Path out)
      throws OrtException {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      opts.setOptimizedModelFilePath(out.toString());
      opts.setIntraOpNumThreads(1);
      for (Value in : g.inputs()) {
        long[] dims = shapes.get(in.name());
        if (dims == null || in.tensorType() == null || !in.tensorType().shape().hasRank()) {
          continue;
        }
        List<Dim> declared = in.tensorType().shape().dims();
        for (int i = 0; i < declared.size() && i < dims.length; i++) {
          if (declared.get(i) instanceof Dim.Symbolic s) {
            opts.setSymbolicDimensionValue(s.name(), dims[i]);
          }
        }
      }
      long t0 = System.nanoTime();
      try (OrtSession s = OrtVerifier.environment().createSession(model.toString(), opts)) {
        return (System.nanoTime() - t0) / 1e6;
      }
    }
  }

  /** Runs the benchmark on the given models (default: the dev set) and prints the table. */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "../shared/testdata/models/onnx");
    List<Path> models;
    try (var s = Files.list(dir)) {
      models = s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
    }
    System.out.println(run(models, 1, 3).markdown());
  }
}

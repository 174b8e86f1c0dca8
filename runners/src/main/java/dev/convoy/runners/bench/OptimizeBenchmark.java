package dev.convoy.runners.bench;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtBasic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Convoy's O1 optimizer against ONNX Runtime's offline optimization at level BASIC, per model, in
 * one run and in two settings side by side: dynamic (no input shapes to either side, dynamic dims
 * stay dynamic) and static (the model's oracle args as input shapes; ORT gets them as free-dimension
 * overrides). For each: compute nodes left (subgraphs included, {@code Constant} nodes not counted)
 * by Convoy and in the model ORT saves through {@code setOptimizedModelFilePath}, and Convoy's
 * optimize time beside ORT's session creation time; Convoy's O2 node count (static) for reference.
 * Goal: no more nodes than ORT BASIC in both settings, time within 2x.
 */
public final class OptimizeBenchmark {
  private OptimizeBenchmark() {}

  /** One setting's figures for one model. */
  private record Setting(int convoyNodes, int ortNodes, double convoyMs, double ortMs) {
    boolean goal() {
      return convoyNodes <= ortNodes && convoyMs <= 2 * ortMs;
    }
  }

  public static BenchTable run(List<Path> models, int warmup, int reps) throws IOException {
    BenchTable table = new BenchTable("Convoy O1 vs ONNX Runtime BASIC offline optimization,"
        + " dynamic (no input shapes) and static (oracle input shapes)",
        "model", "nodes", "dyn convoy O1", "dyn ort BASIC", "dyn convoy ms", "dyn ort ms",
        "static convoy O1", "static ort BASIC", "static convoy ms", "static ort ms", "goal met",
        "static convoy O2");
    Path tmp = Files.createTempDirectory("convoy-optbench");
    int met = 0;
    try {
      for (Path model : models) {
        Graph g = OnnxImporter.importFile(model);
        Map<String, long[]> shapes = OracleArgs.read(model).shapes();
        Path saved = tmp.resolve(model.getFileName());
        Setting dyn = measure(model, g, Map.of(), saved, warmup, reps);
        Setting fixed = measure(model, g, shapes, saved, warmup, reps);
        boolean goal = dyn.goal() && fixed.goal();
        met += goal ? 1 : 0;
        OptimizeOptions o2 = new OptimizeOptions(Level.O2, Set.of(), Set.of(), null, shapes,
            false, OptimizeOptions.DEFAULT_FOLD_CAP);
        table.row(model.getFileName().toString(), OrtBasic.computeNodes(g),
            dyn.convoyNodes(), dyn.ortNodes(), dyn.convoyMs(), dyn.ortMs(),
            fixed.convoyNodes(), fixed.ortNodes(), fixed.convoyMs(), fixed.ortMs(),
            goal ? "yes" : "no", OrtBasic.computeNodes(Optimizer.optimize(g, o2).graph()));
      }
    } finally {
      try (var s = Files.list(tmp)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(tmp);
    }
    return table.note("Median of " + reps + " runs after " + warmup + " warm-up runs; goal (no"
        + " more compute nodes than ORT BASIC and time within 2x, in both settings) met on " + met
        + " of " + models.size() + " models. Nodes are compute nodes: all subgraphs, Constant"
        + " nodes not counted. convoy ms = Optimizer.optimize on an imported graph (import"
        + " excluded); ort ms = session creation with BASIC optimization writing the optimized"
        + " model (file parsing included).");
  }

  /** Both optimizers on one model with {@code shapes} (empty: dynamic), medians of the reps. */
  private static Setting measure(Path model, Graph g, Map<String, long[]> shapes, Path saved,
      int warmup, int reps) {
    OptimizeOptions options = new OptimizeOptions(Level.O1, Set.of(), Set.of(), null, shapes,
        false, OptimizeOptions.DEFAULT_FOLD_CAP);
    for (int i = 0; i < warmup; i++) {
      Optimizer.optimize(g, options);
      OrtBasic.optimize(model, g, shapes, saved);
    }
    double[] convoyMs = new double[reps];
    double[] ortMs = new double[reps];
    OptimizeResult result = null;
    OrtBasic.Result ort = null;
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      result = Optimizer.optimize(g, options);
      convoyMs[i] = (System.nanoTime() - t0) / 1e6;
      ort = OrtBasic.optimize(model, g, shapes, saved);
      ortMs[i] = ort.millis();
    }
    return new Setting(OrtBasic.computeNodes(result.graph()), OrtBasic.computeNodes(ort.graph()),
        BenchTable.median(convoyMs), BenchTable.median(ortMs));
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

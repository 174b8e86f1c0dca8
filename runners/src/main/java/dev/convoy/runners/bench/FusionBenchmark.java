package dev.convoy.runners.bench;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.verify.LatencyProbe;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtBasic;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.Set;

/**
 * What O2 adds over O1, per model, in one run, as users run it (no input shapes, dynamic dims
 * kept): compute nodes after O1 and after O2 for a {@link Target} beside ONNX Runtime's BASIC and
 * EXTENDED offline optimization of the same file, whether the O2 ONNX computes what the original
 * does in ONNX Runtime (rtol 1e-4, atol 1e-5 on seeded inputs at the oracle shapes), and the
 * latency of the O2 result against the O1 result on those inputs: ONNX Runtime with one thread and
 * its own optimizations off for ONNX, Convoy's evaluator on one thread for {@code .cvy}. The two
 * are timed in rounds, alternating which goes first, so that load on the machine hits both alike. Goals: no more
 * nodes than ORT BASIC, median O2 / BASIC at most 0.90, O2 latency at most 1.02x O1.
 */
public final class FusionBenchmark {
  private FusionBenchmark() {}

  /** O1/O2 timing rounds per model; odd rounds time O2 first. */
  static final int ROUNDS = 5;

  public static BenchTable run(List<Path> models, int warmup, int reps, Target target,
      ModelFormat format) throws IOException {
    String opset = target.opset() == 0 ? "model opset" : "opset " + target.opset();
    String runtime = format == ModelFormat.CVY ? "Convoy evaluator" : "ORT";
    BenchTable table = new BenchTable("Convoy O2 (" + format.extension() + ", "
        + (target.ortOps() ? "ORT ops" : "standard ops") + ", " + opset + ") vs O1 and ONNX"
        + " Runtime BASIC/EXTENDED, no input shapes",
        "model", "nodes", "O1", "O2", "ORT BASIC", "ORT EXTENDED", "O2 / BASIC", "verified",
        "O2 ops = O1 ops", "O1 ms", "O2 ms", "O2 / O1 latency");
    Path tmp = Files.createTempDirectory("convoy-fusebench");
    List<Double> nodeRatios = new ArrayList<>();
    List<Double> latencyRatios = new ArrayList<>();
    int above = 0;
    int slower = 0;
    int failed = 0;
    LatencyProbe probe = new LatencyProbe(Math.max(1, warmup), Math.max(15, reps));
    try (OrtVerifier verifier = new OrtVerifier()) {
      for (Path model : models) {
        Graph g = OnnxImporter.importFile(model);
        Graph o1 = Optimizer.optimize(g, options(Level.O1, target)).graph();
        Graph o2 = Optimizer.optimize(g, options(Level.O2, target)).graph();
        Path saved = tmp.resolve(model.getFileName());
        int basic = OrtBasic.computeNodes(
            OrtBasic.optimize(model, g, Map.of(), saved, OptLevel.BASIC_OPT).graph());
        int extended = OrtBasic.computeNodes(
            OrtBasic.optimize(model, g, Map.of(), saved, OptLevel.EXTENDED_OPT).graph());
        int n2 = OrtBasic.computeNodes(o2);
        Map<String, Tensor> inputs = SeededInputs.generate(g, OracleArgs.read(model).shapes());
        String verified = "n/a";
        double[] ms;
        if (format == ModelFormat.CVY) {
          ms = alternating(() -> probe.evaluator(o1, inputs), () -> probe.evaluator(o2, inputs));
        } else {
          byte[] b1 = OnnxExporter.toBytes(o1);
          byte[] b2 = OnnxExporter.toBytes(o2);
          boolean pass = verifier.compare(Files.readAllBytes(model), b2, inputs).pass();
          verified = pass ? "yes" : "NO";
          failed += pass ? 0 : 1;
          ms = alternating(() -> probe.ort(b1, inputs), () -> probe.ort(b2, inputs));
        }
        double ms1 = ms[0];
        double ms2 = ms[1];
        double nodeRatio = (double) n2 / basic;
        nodeRatios.add(nodeRatio);
        latencyRatios.add(ms2 / ms1);
        above += n2 > basic ? 1 : 0;
        slower += ms2 > 1.02 * ms1 ? 1 : 0;
        table.row(model.getFileName().toString(), OrtBasic.computeNodes(g),
            OrtBasic.computeNodes(o1), n2, basic, extended, nodeRatio, verified,
            o1.opHistogram().equals(o2.opHistogram()) ? "yes" : "no", ms1, ms2, ms2 / ms1);
      }
    } finally {
      try (var s = Files.list(tmp)) {
        for (Path p : s.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(tmp);
    }
    return table.note(String.format("Median O2 / ORT BASIC %.3f (goal at most 0.90); models with"
        + " more nodes than ORT BASIC: %d of %d; O2 results ONNX Runtime does not match: %d."
        + " Median O2 / O1 latency %.3f; models above 1.02x: %d of %d.",
        median(nodeRatios), above, models.size(), failed, median(latencyRatios), slower,
        models.size())
        + " Nodes are compute nodes (all subgraphs, Constant nodes not counted). Latency: "
        + runtime + ", one thread" + (format == ModelFormat.CVY ? "" : ", its optimizations off")
        + ", median over " + ROUNDS + " alternating rounds of the median of " + probe.runs()
        + " runs after " + Math.max(1, warmup) + " warm-up runs (odd rounds time O2 first), inputs"
        + " at the oracle shapes. Where O2 left the same ops as O1 the ratio shows the noise.");
  }

  private static OptimizeOptions options(Level level, Target target) {
    return new OptimizeOptions(level, Set.of(), Set.of(), null, Map.of(), false,
        OptimizeOptions.DEFAULT_FOLD_CAP, target);
  }

  private static double median(List<Double> xs) {
    return BenchTable.median(xs.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * The medians of {@code a} and {@code b} (one latency each call) over {@link #ROUNDS} rounds,
   * alternating which goes first (odd rounds {@code b}), so that load on the machine hits both
   * alike.
   */
  static double[] alternating(DoubleSupplier a, DoubleSupplier b) {
    double[] ta = new double[ROUNDS];
    double[] tb = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      if (r % 2 == 1) {
        tb[r] = b.getAsDouble();
      }
      ta[r] = a.getAsDouble();
      if (r % 2 == 0) {
        tb[r] = b.getAsDouble();
      }
    }
    return new double[] {BenchTable.median(ta), BenchTable.median(tb)};
  }
}

package dev.convoy.transforms.differential;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.fuse.ReplaceConvWinograd;
import dev.convoy.transforms.optimize.layout.ConvertToNhwc;
import dev.convoy.transforms.optimize.layout.IoLayout;
import dev.convoy.transforms.optimize.opset.OpsetConverter;
import dev.convoy.transforms.optimize.opset.OrtOpsetGapException;
import dev.convoy.transforms.partition.GraphPartitioner;
import dev.convoy.transforms.partition.GraphStitcher;
import dev.convoy.transforms.partition.Partition;
import dev.convoy.transforms.verify.Judgement;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Oracle;
import dev.convoy.transforms.verify.RuntimeDrift;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import dev.convoy.transforms.verify.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs one generated model through every level and target the way {@code optimize --verify}
 * does (and at O3 {@code .cvy} also with {@code --io-layout nhwc}, and partitioned as the zoo
 * pipeline optimizes a large model, at O3 {@code .cvy} and O2 ONNX; at O2 {@code .cvy} with the
 * opt-in Winograd convolution where the model has a Conv), with ONNX Runtime on the
 * original as the oracle, and collects what is wrong: the optimizer
 * throwing or leaving an invalid graph, an ONNX result that ONNX Runtime refuses or that computes
 * something else ({@link ModelVerification#judge}, rtol 1e-4 / atol 1e-5, integers exactly), a
 * {@code .cvy} (written and read back) that Convoy's evaluator runs to other outputs, a vendor
 * domain in a plain ONNX result, more nodes than the original, or (at O1 and O2) more Transposes.
 * A {@code --target-opset} the converter refuses because ONNX Runtime would not load the result
 * ({@link OrtOpsetGapException}) is no finding when ONNX Runtime bears the refusal out.
 * A model ONNX Runtime itself cannot load is skipped (the generator asked for an op or type it
 * lacks), never counted as a pass.
 */
final class DifferentialCheck {
  /** One thing wrong with one model under one configuration. */
  record Finding(String model, String config, String kind, String detail) {
    @Override
    public String toString() {
      return model + " [" + config + "] " + kind + ": " + detail;
    }
  }

  /** What one model gave: findings or why it was skipped, and the rules that fired on it. */
  record Outcome(List<Finding> findings, String skipped, Set<String> rulesFired) {}

  /**
   * How the optimizer is run: on the whole graph; on the whole graph, then {@code --io-layout
   * nhwc}; or as the zoo pipeline runs a large model, in pieces ({@code PartitionGraphs}) stitched
   * back and given the boundary pass ({@code StitchGraphs}, without a second layout conversion);
   * or on the whole graph with the opt-in {@code --enable replace-conv-winograd}.
   */
  enum Mode { WHOLE, IO_NHWC, PARTITIONED, WINOGRAD }

  /** A level and a target, as {@code optimize --level L --target T [--onnx-ops] [--target-opset]}. */
  record Config(Level level, Target target, boolean cvy, Mode mode) {
    Config(Level level, Target target, boolean cvy) {
      this(level, target, cvy, Mode.WHOLE);
    }

    String label() {
      String t = cvy ? "cvy" : target.ortOps() ? "onnx/ort-ops"
          : target.opset() > 0 ? "onnx@" + target.opset() : "onnx";
      return level + " " + t + switch (mode) {
        case WHOLE -> "";
        case IO_NHWC -> " io-nhwc";
        case PARTITIONED -> " partitioned";
        case WINOGRAD -> " +winograd";
      };
    }
  }

  static final List<Config> CONFIGS = configs();

  private static List<Config> configs() {
    List<Config> out = new ArrayList<>();
    for (Level l : List.of(Level.O1, Level.O2, Level.O3)) {
      out.add(new Config(l, Target.STANDARD, false));
      out.add(new Config(l, Target.STANDARD.withOpset(OpsetConverter.MAX_TARGET), false));
      out.add(new Config(l, new Target(true, 0), false));
      out.add(new Config(l, Target.CVY, true));
    }
    out.add(new Config(Level.O3, Target.CVY, true, Mode.IO_NHWC));
    out.add(new Config(Level.O3, Target.CVY, true, Mode.PARTITIONED));
    out.add(new Config(Level.O2, Target.STANDARD, false, Mode.PARTITIONED));
    out.add(new Config(Level.O2, Target.CVY, true, Mode.WINOGRAD));
    return List.copyOf(out);
  }

  private static final Set<String> STANDARD_DOMAINS = Set.of("", "ai.onnx");

  private final OrtVerifier ort;
  private final Evaluator evaluator = Evaluator.standard();
  private final Path dir;

  DifferentialCheck(OrtVerifier ort, Path dir) {
    this.ort = ort;
    this.dir = dir;
  }

  Outcome check(ModelGenerator.Generated gen) throws IOException {
    Graph parsed = GraphParser.parse(gen.text());
    byte[] bytes = OnnxExporter.toBytes(parsed);
    Path file = dir.resolve(gen.name() + ".onnx");
    Files.write(file, bytes);
    Map<String, Tensor> inputs = SeededInputs.generate(parsed, gen.shapes(), gen.seed());
    try {
      ort.run(bytes, inputs);
    } catch (RuntimeException e) {
      return new Outcome(List.of(), "ONNX Runtime refuses the original: " + firstLine(e),
          Set.of());
    }
    List<Finding> findings = new ArrayList<>();
    Graph original;
    try {
      original = OnnxImporter.importFile(file);
    } catch (RuntimeException e) {
      findings.add(new Finding(gen.name(), "import", "import-throws", firstLine(e)));
      return new Outcome(findings, null, Set.of());
    }
    // Half of the dynamic models are optimized with their input shapes given (--input-shape).
    boolean giveShapes = gen.dynamic() && gen.seed() % 2 == 0;
    Map<String, long[]> optShapes = giveShapes ? gen.shapes() : Map.of();
    Set<String> fired = new TreeSet<>();
    for (Config c : CONFIGS) {
      if (c.mode() == Mode.WINOGRAD && count(original, "Conv") == 0) {
        continue;
      }
      checkConfig(gen, file, original, inputs, optShapes, c, findings, fired);
    }
    return new Outcome(findings, null, fired);
  }

  private void checkConfig(ModelGenerator.Generated gen, Path file, Graph original,
      Map<String, Tensor> inputs, Map<String, long[]> optShapes, Config c, List<Finding> findings,
      Set<String> fired) throws IOException {
    String label = c.label();
    Set<String> enabled = c.mode() == Mode.WINOGRAD ? Set.of(ReplaceConvWinograd.NAME) : Set.of();
    OptimizeOptions options = new OptimizeOptions(c.level(), enabled, Set.of(), null, optShapes,
        false, OptimizeOptions.DEFAULT_FOLD_CAP, c.target().withConvoyOps(c.cvy()));
    OptimizeResult result;
    try {
      result = c.mode() == Mode.PARTITIONED ? partitioned(original, options, fired)
          : Optimizer.optimize(original, options);
      if (c.mode() == Mode.IO_NHWC) {
        IoLayout.toNhwc(result.graph(), options);
      }
    } catch (OrtOpsetGapException e) {
      if (!refusalHolds(e)) {
        findings.add(new Finding(gen.name(), label, "unfounded-opset-refusal", firstLine(e)));
      }
      return;
    } catch (RuntimeException e) {
      findings.add(new Finding(gen.name(), label, "optimizer-throws", firstLine(e)));
      return;
    }
    result.stats().forEach(st -> fired.addAll(st.rewrites().keySet()));
    Graph g = result.graph();
    List<String> invalid = GraphVerifier.verify(g);
    if (!invalid.isEmpty()) {
      findings.add(new Finding(gen.name(), label, "invalid-graph", invalid.get(0)));
      return;
    }
    if (!c.cvy()) {
      String vendor = vendorOp(g, c.target().ortOps());
      if (vendor != null) {
        findings.add(new Finding(gen.name(), label, "non-standard-domain", vendor));
      }
    }
    // Layout Transposes may add nodes; a partitioned result is held to its outputs only.
    boolean layout = c.level() == Level.O3 && c.cvy() || c.mode() == Mode.PARTITIONED;
    if (!layout && g.totalNodeCount() > original.totalNodeCount()) {
      findings.add(new Finding(gen.name(), label, "more-nodes",
          original.totalNodeCount() + " -> " + g.totalNodeCount()));
    }
    if (!layout && count(g, "Transpose") > count(original, "Transpose")) {
      findings.add(new Finding(gen.name(), label, "more-transposes",
          count(original, "Transpose") + " -> " + count(g, "Transpose")));
    }
    Graph candidate = g;
    if (c.cvy()) {
      Path cvy = dir.resolve(gen.name() + ".cvy");
      try {
        CvyWriter.write(g, cvy);
        candidate = CvyReader.read(cvy);
      } catch (RuntimeException e) {
        findings.add(new Finding(gen.name(), label, "cvy-round-trip", firstLine(e)));
        return;
      }
    }
    judge(gen, file, original, candidate, inputs, options, c, label, findings);
    if (c.cvy()) {
      // The .cvy exported to ONNX (convoy ops expanded) must load and agree in ONNX Runtime too.
      judgeOnOrt(gen, file, original, g, inputs, options, label + "->onnx", findings);
    }
    if (gen.dynamic() && optShapes.isEmpty() && !c.cvy()) {
      Map<String, Tensor> alt = SeededInputs.generate(original, gen.altShapes(), gen.seed() + 1);
      try {
        ort.run(file, alt);
      } catch (RuntimeException e) {
        return;
      }
      judge(gen, file, original, g, alt, options, c, label + " at other sizes", findings);
    }
  }

  /**
   * The original cut into pieces of at most a third of its nodes, each optimized alone, stitched,
   * then optimized whole without a second layout conversion, as the zoo pipeline does (with no
   * input shapes given: a piece's inputs are cuts); the rules that fired in the pieces go into
   * {@code fired}.
   */
  private static OptimizeResult partitioned(Graph original, OptimizeOptions whole,
      Set<String> fired) {
    OptimizeOptions options = new OptimizeOptions(whole.level(), whole.enabled(), whole.disabled(),
        whole.pipelineFile(), Map.of(), false, whole.foldSizeCapBytes(), whole.target());
    Partition p = GraphPartitioner.split(original, Math.max(2, original.totalNodeCount() / 3));
    List<Graph> pieces = new ArrayList<>();
    for (Graph piece : p.pieces()) {
      OptimizeResult r = Optimizer.optimize(piece, options);
      r.stats().forEach(st -> fired.addAll(st.rewrites().keySet()));
      pieces.add(r.graph());
    }
    Graph stitched = GraphStitcher.stitch(original, pieces);
    Set<String> disabled = new TreeSet<>(options.disabled());
    disabled.add(ConvertToNhwc.NAME);
    return Optimizer.optimize(stitched, new OptimizeOptions(options.level(), options.enabled(),
        disabled, options.pipelineFile(), options.inputShapes(), false, options.foldSizeCapBytes(),
        options.target()));
  }

  /**
   * Whether ONNX Runtime itself bears out a refused {@code --target-opset}: it loads the refused
   * op on that type alone at the graph's opset and refuses it at the target. Only then is the
   * refusal (exit 2, the node named) the right answer rather than a finding.
   */
  private boolean refusalHolds(OrtOpsetGapException e) {
    return loadsAlone(e.op(), e.dtype(), e.from()) && !loadsAlone(e.op(), e.dtype(), e.target());
  }

  private boolean loadsAlone(String op, DType t, long opset) {
    String call = op.equals("PRelu") ? "PRelu(%x, %x)" : op + "(%x)";
    Graph g = GraphParser.parse("graph alone (%x: " + t.textName() + "[2,3]) -> (%y) {\n"
        + "  opset \"\" " + opset + "\n  %y = " + call + "\n}\n");
    try {
      ort.run(OnnxExporter.toBytes(g), SeededInputs.generate(g, Map.of(), 1));
      return true;
    } catch (RuntimeException ex) {
      return false;
    }
  }

  private void judge(ModelGenerator.Generated gen, Path file, Graph original, Graph candidate,
      Map<String, Tensor> inputs, OptimizeOptions options, Config c, String label,
      List<Finding> findings) {
    Oracle oracle = Oracle.choose(ModelFormat.ONNX, c.cvy() ? ModelFormat.CVY : ModelFormat.ONNX);
    Judgement j;
    try {
      j = ModelVerification.judge(oracle, file, original, candidate, inputs, ort, evaluator,
          () -> PassBisect.culprit(original, options, gen.shapes()));
    } catch (RuntimeException e) {
      findings.add(new Finding(gen.name(), label,
          c.cvy() ? "evaluator-throws" : "ort-refuses-result", firstLine(e)));
      return;
    }
    if (j.verdict() != Verdict.PASS && gen.floatType().equals("float16")
        && agreesAtHalfPrecision(file, candidate, inputs, c.cvy())) {
      return;
    }
    if (j.verdict() == Verdict.PRECISION_DRIFT
        || j.verdict() == Verdict.RUNTIME_DRIFT && j.drift().float16Rounding()) {
      PRECISION.add(gen.name() + " [" + label + "] " + j.summary());
    }
    if (j.verdict() == Verdict.FAIL) {
      findings.add(new Finding(gen.name(), label, "wrong-output", j.summary()));
    } else if (j.verdict() == Verdict.RUNTIME_DRIFT && !j.drift().float16Rounding()) {
      findings.add(new Finding(gen.name(), label, "evaluator-disagrees-on-original", j.summary()));
    }
  }

  private void judgeOnOrt(ModelGenerator.Generated gen, Path file, Graph original, Graph g,
      Map<String, Tensor> inputs, OptimizeOptions options, String label, List<Finding> findings) {
    judge(gen, file, original, g, inputs, options,
        new Config(options.level(), Target.STANDARD, false), label, findings);
  }

  /**
   * For a float16 model, whether the candidate agrees with ONNX Runtime on the original within a
   * few float16 steps: rtol and atol 4 * 2^-10. A fused float16 op (LayerNormalization, say)
   * computes in float32 inside, so it moves results by an ulp of float16 (1e-3), which the
   * float32 tolerance (rtol 1e-4) cannot tell from a wrong result.
   */
  private boolean agreesAtHalfPrecision(Path file, Graph candidate, Map<String, Tensor> inputs,
      boolean cvy) {
    Map<String, Tensor> expected = ort.run(file, inputs);
    Map<String, Tensor> actual = cvy ? evaluator.runTensors(candidate, inputs)
        : ort.run(OnnxExporter.toBytes(candidate), inputs);
    return OrtVerifier.compareOutputs(expected, actual, HALF).pass();
  }

  /** Results accepted as precision drift or float16 rounding, for the run's summary. */
  static final Set<String> PRECISION = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static final OrtVerifier.Tolerance HALF = new OrtVerifier.Tolerance(4.0 / 1024, 4.0 / 1024);

  /** The first node of a domain beyond the standard ones (and com.microsoft when allowed). */
  private static String vendorOp(Graph g, boolean ortOps) {
    String[] found = {null};
    g.forEachNode(n -> {
      if (found[0] == null && !STANDARD_DOMAINS.contains(n.domain())
          && !(ortOps && n.domain().equals(Target.MICROSOFT))) {
        found[0] = n.domain() + "::" + n.opType();
      }
    });
    return found[0];
  }

  static int count(Graph g, String op) {
    int[] n = {0};
    g.forEachNode((Node x) -> n[0] += x.is(op) && x.domain().isEmpty() ? 1 : 0);
    return n[0];
  }

  private static String firstLine(Throwable e) {
    String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
    int nl = msg.indexOf('\n');
    return nl < 0 ? msg : msg.substring(0, nl);
  }
}

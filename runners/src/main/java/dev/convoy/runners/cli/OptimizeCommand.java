package dev.convoy.runners.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.runners.Main;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.layout.IoLayout;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.optimize.PassStat;
import dev.convoy.transforms.optimize.opset.OpsetConversionException;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Judgement;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convoy optimize}: convert one model, optimize it at a level, optionally verify it. */
@Command(
    name = "optimize",
    mixinStandardHelpOptions = true,
    description = "Convert and optimize one model; write it as ONNX or .cvy.")
public class OptimizeCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "Model file (.onnx, .tflite,"
      + " .cvy, a Caffe .prototxt or .caffemodel with its partner beside it, a TensorFlow .pb;"
      + " sniffed from content).")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
      description = "Output model file.")
  Path out;

  @Option(names = "--level", defaultValue = "O1", paramLabel = "O0|O1|O2|O3",
      description = "Optimization level (default ${DEFAULT-VALUE}).")
  String level;

  @Option(names = "--target", paramLabel = "onnx|cvy",
      description = "Output format (default: from the output file's extension, else onnx).")
  String target;

  @Mixin TargetOptions targetOptions = new TargetOptions();

  @Option(names = "--io-layout", defaultValue = "nchw", paramLabel = "nchw|nhwc",
      description = "nhwc: with --level O3 and a .cvy output, drop the Transposes at the graph's"
          + " 4-D inputs and outputs (they become NHWC; the artifact's metadata names them).")
  String ioLayout;

  @Option(names = "--input-shape", paramLabel = "NAME=1x3x224x224",
      description = "Concrete shape for an input with symbolic dims (repeatable).")
  List<String> inputShapes = new ArrayList<>();

  @Option(names = "--enable", paramLabel = "RULE", description = "Enable a rule or pass by name.")
  List<String> enable = new ArrayList<>();

  @Option(names = "--disable", paramLabel = "RULE", description = "Disable a rule or pass by name.")
  List<String> disable = new ArrayList<>();

  @Option(names = "--pipeline", paramLabel = "FILE",
      description = "Pass pipeline file replacing the level's default.")
  Path pipeline;

  @Option(names = "--verify",
      description = "Compare the result with the original on seeded inputs (exit 1 on mismatch).")
  boolean verify;

  @Option(names = "--verify-each-pass",
      description = "Check structure and outputs after every pass; name the first pass that changes outputs.")
  boolean verifyEachPass;

  @Option(names = "--report", paramLabel = "FILE.json", description = "Write a JSON report.")
  Path report;

  @Option(names = "--allow-unknown-domains",
      description = "Carry ops of domains Convoy does not know through unchanged (refused otherwise).")
  boolean allowUnknownDomains;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Applies {@code --io-layout}: NHWC inputs and outputs for an O3 {@code .cvy}; its notes. */
  private List<String> ioLayout(Level lvl, ModelFormat format, OptimizeResult result,
      OptimizeOptions options) {
    switch (ioLayout) {
      case "nchw" -> {
        return List.of();
      }
      case "nhwc" -> {
        if (lvl != Level.O3 || format != ModelFormat.CVY) {
          throw new ConvoyException("--io-layout nhwc needs --level O3 and a .cvy output (the"
              + " layout pass that makes NHWC runs only there)");
        }
        IoLayout.Changed c = IoLayout.toNhwc(result.graph(), options);
        return List.of(c.isEmpty() ? "--io-layout nhwc: no input or output became NHWC"
            : "--io-layout nhwc: inputs " + c.inputs() + " and outputs " + c.outputs()
                + " are NHWC (metadata " + IoLayout.KEY + ")");
      }
      default -> throw new ConvoyException(
          "--io-layout must be 'nchw' or 'nhwc', got '" + ioLayout + "'");
    }
  }

  /** Level used when this command is run as {@code convert}. */
  Level fixedLevel() {
    return null;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    Level lvl = fixedLevel() != null ? fixedLevel() : Level.parse(level);
    ModelFormat format = target != null ? ModelFormat.parse(target) : ModelFormat.fromExtension(this.out);
    if (!Files.isRegularFile(model)) {
      throw new ConvoyException(model + ": no such file");
    }
    if (pipeline != null && !Files.isRegularFile(pipeline)) {
      throw new ConvoyException(pipeline + ": no such pipeline file");
    }
    Map<String, long[]> shapes = InputShapes.parse(inputShapes);

    long t0 = System.nanoTime();
    Models.Loaded loaded = Models.load(model, allowUnknownDomains);
    Graph graph = loaded.graph();
    long tImport = System.nanoTime();
    // A .cvy may hold Convoy's own fused ops (its ONNX export expands them again).
    var target = targetOptions.target().withConvoyOps(format == ModelFormat.CVY);
    var options = new OptimizeOptions(lvl, new HashSet<>(enable), new HashSet<>(disable), pipeline,
        shapes, verifyEachPass, OptimizeOptions.DEFAULT_FOLD_CAP, target);
    OptimizeResult result;
    try {
      result = Optimizer.optimize(graph, options);
    } catch (OpsetConversionException | InvalidModelException e) {
      // A malformed node (a Constant with two values, say) is found while optimizing.
      throw new ConvoyException(model + ": " + e.getMessage(), e);
    }
    List<String> layoutNotes = ioLayout(lvl, format, result, options);
    long tOpt = System.nanoTime();
    Path parent = this.out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Models.save(result.graph(), this.out, format);
    long tWrite = System.nanoTime();

    int before = graph.totalNodeCount();
    int after = result.graph().totalNodeCount();
    out.printf("%s -> %s (%s, %s): %d -> %d nodes, import %.1f ms, optimize %.1f ms, write %.1f ms%n",
        model, this.out, lvl, format.extension(), before, after, ms(tImport - t0), ms(tOpt - tImport),
        ms(tWrite - tOpt));
    List<String> notes = new ArrayList<>(loaded.notes());
    notes.addAll(result.notes());
    notes.addAll(layoutNotes);
    for (String note : notes) {
      out.println("  note: " + note);
    }

    Map<String, Object> rep = new LinkedHashMap<>();
    rep.put("model", model.toString());
    rep.put("output", this.out.toString());
    rep.put("level", lvl.name());
    rep.put("target", format.extension());
    rep.put("nodes_before", before);
    rep.put("nodes_after", after);
    rep.put("ops_before", new TreeMap<>(graph.opHistogram()));
    rep.put("ops_after", new TreeMap<>(result.graph().opHistogram()));
    rep.put("input_bytes", Files.size(model));
    rep.put("output_bytes", Files.size(this.out));
    rep.put("import_ms", ms(tImport - t0));
    rep.put("optimize_ms", ms(tOpt - tImport));
    rep.put("write_ms", ms(tWrite - tOpt));
    List<Map<String, Object>> passes = new ArrayList<>();
    for (PassStat s : result.stats()) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("pass", s.pass());
      p.put("ms", ms(s.nanos()));
      p.put("nodes_before", s.nodesBefore());
      p.put("nodes_after", s.nodesAfter());
      p.put("rewrites", new TreeMap<>(s.rewrites()));
      passes.add(p);
    }
    rep.put("passes", passes);
    rep.put("notes", notes);

    int exit = Main.OK;
    if (verify) {
      Judgement v = ModelVerification.verify(model, graph, result.graph(), format, shapes,
          () -> PassBisect.culprit(
              graph, options, ModelVerification.shapes(model, shapes)));
      rep.put("verification", v.outputs());
      rep.put("verdict", v.verdict().label());
      rep.put("explanation", v.where());
      rep.put("culprit", v.culprit());
      out.println("verify: " + v.summary());
      if (!v.accepted()) {
        exit = Main.CHECK_FAILED;
      }
    }
    if (report != null) {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(report.toFile(), rep);
    }
    return exit;
  }

  static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }
}

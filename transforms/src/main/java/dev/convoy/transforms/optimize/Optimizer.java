package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.transforms.optimize.opset.ConvertOpset;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The entry point of optimization: runs the pass pipeline of a level (or of a pipeline file) on a
 * graph. The input graph is not modified; the result holds a new graph. Each pass run is timed
 * and counted into a {@link PassStat}; in verify-each-pass mode a {@link PassChecker} checks the
 * graph after every rewrite and every pass and names the first one that broke it (and, for a rule
 * set that changed the outputs, the rule, from a copy of the graph taken before the pass). With a
 * target opset ({@link Target#opset()}) the graph is converted to it before the first pass.
 */
public final class Optimizer {
  private Optimizer() {}

  public static OptimizeResult optimize(Graph graph, OptimizeOptions options) {
    PassPipeline pipeline = Pipelines.resolve(options);
    Graph g = graph.copy();
    PassChecker checker = options.verifyEachPass() ? new PassChecker(graph, options) : null;
    PassContext ctx = new PassContext(options, checker == null ? null : checker::afterRewrite);
    // A stored memory plan describes the graph it was made for, not the one about to change.
    new Rewriter(ctx).removeMetadata(g, MemoryPlanCodec.KEY);
    if (checker != null && checker.numericCheckOff() != null) {
      ctx.note(checker.numericCheckOff());
    }
    Run run = new Run(g, ctx, checker);
    if (options.target().opset() > 0) {
      run.pass(new ConvertOpset(options.target().opset()));
    }
    run.steps(pipeline.steps());
    ctx.restoreDeclaredInputsIfUninferred();
    List<String> notes = new ArrayList<>(ctx.notes());
    return new OptimizeResult(g, run.stats, notes, ctx.converged());
  }

  /** Runs the steps of a pipeline on one graph, collecting statistics. */
  private static final class Run {
    private final Graph graph;
    private final PassContext ctx;
    private final PassChecker checker;
    private final List<PassStat> stats = new ArrayList<>();

    Run(Graph graph, PassContext ctx, PassChecker checker) {
      this.graph = graph;
      this.ctx = ctx;
      this.checker = checker;
    }

    int steps(List<PassPipeline.Step> steps) {
      int changes = 0;
      for (PassPipeline.Step s : steps) {
        if (s instanceof PassPipeline.RunPass p) {
          changes += pass(PassRegistry.pass(p.pass()));
        } else if (s instanceof PassPipeline.RunRules r) {
          List<Rule> rules = r.rules().stream().map(PassRegistry::rule).toList();
          changes += pass(new RuleSetPass(r.name(), rules, r.maxRewrites()));
        } else if (s instanceof PassPipeline.Repeat r) {
          changes += repeat(r);
        }
      }
      return changes;
    }

    private int repeat(PassPipeline.Repeat r) {
      int total = 0;
      for (int round = 1; round <= r.maxRounds(); round++) {
        int changes = steps(r.steps());
        total += changes;
        if (changes == 0) {
          return total;
        }
      }
      ctx.markNotConverged(
          "repeat block did not settle within " + r.maxRounds() + " rounds (still changing)");
      return total;
    }

    int pass(Pass p) {
      Graph snapshot = checker != null && p instanceof RuleSetPass ? graph.copy() : null;
      int before = graph.totalNodeCount();
      long t0 = System.nanoTime();
      int changes = p.run(graph, ctx);
      long nanos = System.nanoTime() - t0;
      stats.add(new PassStat(p.name(), nanos, before, graph.totalNodeCount(), ctx.takeRewrites()));
      if (checker != null && changes > 0) {
        checker.afterPass(graph, p, snapshot, ctx.options());
      }
      return changes;
    }
  }

  /** Where pipelines come from: a file, or the level's default shipped with Convoy. */
  static final class Pipelines {
    private Pipelines() {}

    static PassPipeline resolve(OptimizeOptions options) {
      PassPipeline base =
          options.pipelineFile() != null ? read(options.pipelineFile()) : forLevel(options.level());
      for (String name : base.names()) {
        PassRegistry.requireKnown(name, pipelineSource(options));
      }
      return PipelineEdits.apply(base, options.enabled(), options.disabled());
    }

    private static String pipelineSource(OptimizeOptions options) {
      return options.pipelineFile() != null
          ? options.pipelineFile().toString()
          : "pipeline of level " + options.level();
    }

    static PassPipeline read(Path file) {
      try {
        return PassPipeline.parse(Files.readString(file), file.toString());
      } catch (IOException e) {
        throw new OptimizeException("cannot read pipeline file " + file + ": " + e.getMessage(), e);
      }
    }

    /** The default pipeline of a level ({@code configs/pipelines/O*.txt}, on the classpath). */
    static PassPipeline forLevel(Level level) {
      return forLevel(level, List.of(level));
    }

    /** The default pipeline of a level, expanded inside the includes of {@code including}. */
    static PassPipeline forLevel(Level level, List<Level> including) {
      String resource = "/dev/convoy/transforms/optimize/pipelines/" + level + ".txt";
      try (InputStream in = Optimizer.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("pipeline resource " + resource + " is missing");
        }
        return PassPipeline.parse(
            new String(in.readAllBytes(), StandardCharsets.UTF_8), resource, including);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + resource, e);
      }
    }
  }
}

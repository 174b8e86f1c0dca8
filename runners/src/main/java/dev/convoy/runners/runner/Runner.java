package dev.convoy.runners.runner;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.run.Execution;
import dev.convoy.runners.cluster.FlinkJobProgress;
import dev.convoy.runners.cluster.LocalCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Where a zoo run executes, and the Beam options for it: the only place that names a runner class.
 * {@link #DIRECT} runs in this JVM (the default); {@link #FLINK_EMBEDDED} starts a Flink mini
 * cluster inside this JVM; {@link #FLINK_CLUSTER} submits to a Flink session cluster by its REST
 * address ({@code convoy cluster start}, or any Flink 1.19 cluster with Convoy's libraries on its
 * classpath), staging only the {@link JobJar}, after checking that a cluster with its own Convoy
 * runs this build ({@link LocalCluster#requireBuild}).
 */
public enum Runner {
  DIRECT("direct"),
  FLINK_EMBEDDED("flink"),
  FLINK_CLUSTER("flink");

  private final String flag;

  Runner(String flag) {
    this.flag = flag;
  }

  /**
   * The runner for {@code --runner NAME} ({@code direct} or {@code flink}) and {@code
   * --flink-master} (which implies Flink, on that cluster).
   */
  public static Runner named(String name, String flinkMaster) {
    if (flinkMaster != null) {
      if (!name.equals("flink") && !name.equals("direct")) {
        throw unknown(name);
      }
      return FLINK_CLUSTER;
    }
    return switch (name) {
      case "direct" -> DIRECT;
      case "flink" -> FLINK_EMBEDDED;
      default -> throw unknown(name);
    };
  }

  private static ConvoyException unknown(String name) {
    return new ConvoyException("unknown runner '" + name + "' (expected direct or flink)");
  }

  /** The {@code --runner} value that selects this runner. */
  public String flag() {
    return flag;
  }

  /**
   * Options for run {@code runId} on this runner with {@code parallelism} workers (0: one per
   * core); {@code flinkMaster} ({@code host:port}, the REST address) only for {@link
   * #FLINK_CLUSTER}.
   */
  public Execution execution(String flinkMaster, int parallelism, String runId) {
    if ((this == FLINK_CLUSTER) != (flinkMaster != null)) {
      throw new IllegalArgumentException(this + " with Flink master " + flinkMaster);
    }
    int workers = parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors();
    if (this == DIRECT) {
      DirectOptions o = PipelineOptionsFactory.as(DirectOptions.class);
      o.setRunner(DirectRunner.class);
      o.setTargetParallelism(workers);
      // The Direct runner's checks (encode every element after each step, and again to see
      // that no step mutated its input) are for catching bugs in tests, which keep them (the
      // pipeline tests build their own options). Measured on a 300-model zoo, 1 worker, three
      // alternating pairs on the loaded machine: 306/111/42 s outside stages with, 65/64/58 s
      // without (docs/benchmarks.md).
      o.setEnforceImmutability(false);
      o.setEnforceEncodability(false);
      return new Execution(o, flag, workers);
    }
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setParallelism(workers);
    // Elements are immutable records: chained operators may pass them on without a copy, and
    // Flink's serializer may hand on the element itself where Beam would deep-copy it.
    o.setObjectReuse(true);
    o.setFasterCopy(true);
    o.setJobName("convoy-" + runId.toLowerCase(Locale.ROOT));
    if (this == FLINK_EMBEDDED) {
      o.setFlinkMaster("[local]");
      return new Execution(o, flag, workers);
    }
    // A cluster with Convoy installed runs its own copy of Convoy's classes (parent-first), not
    // the staged one: it must be this build.
    LocalCluster.requireBuild(flinkMaster, ConvoyBuild.ofThisClasspath());
    o.setFlinkMaster(flinkMaster);
    o.setFilesToStage(List.of(JobJar.forThisClasspath(jobJarFolder()).toString()));
    return new Execution(o, flag + "@" + flinkMaster, workers,
        new FlinkJobProgress(flinkMaster, o.getJobName()));
  }

  /** A private folder for a packed job jar, removed when this JVM exits. */
  private static Path jobJarFolder() {
    try {
      Path dir = Files.createTempDirectory("convoy-job");
      dir.toFile().deleteOnExit();
      dir.resolve("convoy-job.jar").toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a folder for the job jar", e);
    }
  }
}

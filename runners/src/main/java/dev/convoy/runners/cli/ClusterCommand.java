package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.runners.cluster.LocalCluster;
import dev.convoy.runners.runner.ConvoyBuild;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy cluster start|stop|status}: a local Flink session cluster (a JobManager and N
 * TaskManagers, separate JVMs on the project's own classpath, with this build of Convoy installed)
 * for {@code convoy run --flink-master localhost:PORT}; {@code status} shows the installed build
 * and whether it is this one. See {@link LocalCluster}.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Start, stop or show a local Flink session cluster for run --flink-master.")
public class ClusterCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "start|stop|status", description = "What to do.")
  String action;

  @Option(names = "--dir", defaultValue = "convoy-cluster", paramLabel = "DIR",
      description = "Cluster folder: config, logs, pid files (default ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--taskmanagers", defaultValue = "2", paramLabel = "N",
      description = "TaskManager processes to start (default ${DEFAULT-VALUE}).")
  int taskManagers;

  @Option(names = "--slots", defaultValue = "1", paramLabel = "N",
      description = "Task slots per TaskManager (default ${DEFAULT-VALUE}).")
  int slots;

  @Option(names = "--port", defaultValue = "18081", paramLabel = "PORT",
      description = "REST port, the one --flink-master names (default ${DEFAULT-VALUE}).")
  int restPort;

  @Option(names = "--rpc-port", defaultValue = "16123", paramLabel = "PORT",
      description = "JobManager RPC port (default ${DEFAULT-VALUE}).")
  int rpcPort;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Flink config template (default configs/flink/config.yaml).")
  Path config;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    switch (action) {
      case "start" -> {
        LocalCluster c = LocalCluster.start(new LocalCluster.Spec(dir, template(), taskManagers,
            slots, restPort, rpcPort, Map.of()));
        out.printf("cluster up in %s: 1 JobManager, %d TaskManagers x %d slots, Convoy %s%n"
            + "submit with: ./convoy run --flink-master %s --parallelism %d%n"
            + "stop with:   ./convoy cluster stop --dir %s%n", c.dir(), taskManagers, slots,
            c.build().orElseThrow(), c.master(), taskManagers * slots, dir);
        return 0;
      }
      case "stop" -> {
        int n = LocalCluster.stop(dir);
        out.printf("stopped %d cluster processes in %s%n", n, dir.toAbsolutePath().normalize());
        return 0;
      }
      case "status" -> {
        LocalCluster.Status s = LocalCluster.status(dir);
        if (s.processes().isEmpty()) {
          out.printf("no cluster in %s%n", dir.toAbsolutePath().normalize());
          return 1;
        }
        s.processes().forEach((name, alive) -> out.printf("%-14s %s%n", name,
            alive ? "running" : "dead"));
        out.println("overview       " + s.overview().orElse("(JobManager not answering)"));
        ConvoyBuild mine = ConvoyBuild.ofThisClasspath();
        LocalCluster.in(dir).build().ifPresentOrElse(theirs -> out.printf("convoy         %s (%s)%n",
            theirs, theirs.hash().equals(mine.hash()) ? "this build"
                : "this build is " + mine + ": restart the cluster to run it"),
            () -> out.println("convoy         none installed (jobs run their staged classes)"));
        return s.allAlive() && s.overview().isPresent() ? 0 : 1;
      }
      default -> throw new ConvoyException(
          "cluster: unknown action '" + action + "' (expected start, stop or status)");
    }
  }

  private Path template() {
    if (config != null) {
      return config;
    }
    Path here = Path.of("configs/flink/config.yaml");
    String home = System.getProperty("convoy.home");
    return Files.isRegularFile(here) || home == null ? here
        : Path.of(home, "configs/flink/config.yaml");
  }
}

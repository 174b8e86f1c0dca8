package dev.convoy.runners.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.ir.ConvoyException;
import dev.convoy.runners.runner.ConvoyBuild;
import dev.convoy.runners.runner.JobJar;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.taskexecutor.TaskManagerRunner;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A Flink session cluster on this machine: one JobManager and N TaskManagers, each a separate JVM
 * started from the classpath Convoy itself runs on (Flink, Beam, ONNX Runtime and DuckDB all come
 * from the project's Maven dependencies). Everything the cluster owns lives in one folder: {@code
 * conf/config.yaml} (the template from {@code configs/flink} plus the ports and slots chosen at
 * start), {@code conf/logging/} (the log levels from {@code simplelogger.properties} beside the
 * template), {@code lib/convoy.jar}, {@code log/}, {@code tmp/} (Flink's blob store) and one {@code
 * .pid} file per process, which is how {@link #stop} and {@link #status} find the processes again
 * from another JVM.
 *
 * <p>Convoy's own classes are installed too: copied at start into {@code lib/convoy.jar} (so a
 * rebuild of the checkout does not change them under the running cluster) and loaded parent-first,
 * so every job runs the TaskManagers' one copy of them and the code the JIT compiled for one job
 * serves the next (with classes from each job's staged jar, each TaskManager compiled Convoy again
 * per job). The build's content hash and time are in the config ({@code convoy.build.*}, which the
 * JobManager's REST API shows), and {@link #requireBuild} refuses a submission from another build.
 *
 * <p>Memory flags are computed the way Flink's own scripts do ({@link TaskExecutorProcessUtils}),
 * so the TaskManager heap is exactly framework heap plus task heap from the config; after them
 * come the JVM options of Flink's {@code env.java.opts.all} and {@code env.java.opts.jobmanager}
 * or {@code env.java.opts.taskmanager}, as {@code bin/taskmanager.sh} adds them.
 */
public final class LocalCluster {
  private static final String JOB_MANAGER = "jobmanager";
  private static final String TASK_MANAGER = "taskmanager-";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  /** Config keys of the installed Convoy build (not Flink's; Flink keeps and shows them). */
  static final String BUILD_HASH = "convoy.build.hash";
  static final String BUILD_TIME = "convoy.build.time";
  private static final String PARENT_FIRST = "classloader.parent-first-patterns.additional";
  private static final String CONVOY_PACKAGES = "dev.convoy.";
  /** slf4j-simple's settings, read from the first classpath entry that has them. */
  private static final String LOG_CONFIG = "simplelogger.properties";

  private final Path dir;
  private final int restPort;

  private LocalCluster(Path dir, int restPort) {
    this.dir = dir;
    this.restPort = restPort;
  }

  /**
   * What to start: the cluster folder, the config template, how many TaskManagers with how many
   * slots each, the REST port ({@code --flink-master localhost:PORT}) and the JobManager's RPC
   * port; {@code extra} settings override the template (tests shrink the heap with them).
   */
  public record Spec(Path dir, Path template, int taskManagers, int slots, int restPort,
      int rpcPort, Map<String, String> extra) {
    public Spec {
      dir = dir.toAbsolutePath().normalize();
      if (taskManagers < 1 || slots < 1) {
        throw new ConvoyException("a cluster needs at least 1 TaskManager with 1 slot, got "
            + taskManagers + " TaskManagers with " + slots + " slots");
      }
      if (!Files.isRegularFile(template)) {
        throw new ConvoyException(template + ": no such Flink config template");
      }
      extra = Map.copyOf(extra);
    }
  }

  /** What {@link #status} sees: the processes alive and the JobManager's REST overview. */
  public record Status(Map<String, Boolean> processes, Optional<String> overview) {
    /** Whether every process recorded in the folder is alive. */
    public boolean allAlive() {
      return !processes.isEmpty() && processes.values().stream().allMatch(b -> b);
    }
  }

  /**
   * Starts the cluster described by {@code spec} on this JVM's libraries with this JVM's Convoy
   * build installed.
   */
  public static LocalCluster start(Spec spec) {
    return start(spec, classpathWithoutConvoy(), JobJar.convoyEntries());
  }

  /**
   * Starts the cluster described by {@code spec} on {@code libraries} with the Convoy classes of
   * {@code convoy} (folders or jars) installed, waiting until the JobManager answers on its REST
   * port and every TaskManager has registered. A cluster already running in the folder is an
   * error.
   */
  public static LocalCluster start(Spec spec, List<String> libraries, List<Path> convoy) {
    Path dir = spec.dir();
    if (status(dir).processes().containsValue(true)) {
      throw new ConvoyException(dir + ": a cluster is already running there (convoy cluster stop)");
    }
    try {
      Files.createDirectories(dir.resolve("conf"));
      Files.createDirectories(dir.resolve("log"));
      Files.createDirectories(dir.resolve("tmp"));
      try (Stream<Path> pids = Files.list(dir)) {
        for (Path p : pids.filter(p -> p.toString().endsWith(".pid")).toList()) {
          Files.delete(p);
        }
      }
      Path jar = dir.resolve("lib/convoy.jar");
      Files.deleteIfExists(jar);
      JobJar.pack(convoy, jar);
      ConvoyBuild build = JobJar.build(convoy);
      List<String> classpath = new ArrayList<>();
      Path logging = spec.template().resolveSibling(LOG_CONFIG);
      if (Files.isRegularFile(logging)) {
        Path copy = Files.createDirectories(dir.resolve("conf/logging")).resolve(LOG_CONFIG);
        Files.copy(logging, copy, StandardCopyOption.REPLACE_EXISTING);
        classpath.add(copy.getParent().toString());
      }
      classpath.addAll(libraries);
      classpath.add(jar.toString());
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("rest.port", String.valueOf(spec.restPort()));
      settings.put("jobmanager.rpc.port", String.valueOf(spec.rpcPort()));
      settings.put("taskmanager.numberOfTaskSlots", String.valueOf(spec.slots()));
      settings.put("parallelism.default", String.valueOf(spec.slots() * spec.taskManagers()));
      settings.put("io.tmp.dirs", dir.resolve("tmp").toString());
      String parentFirst = templateValue(spec.template(), PARENT_FIRST);
      settings.put(PARENT_FIRST, (parentFirst.isEmpty() ? "" : parentFirst + ";")
          + CONVOY_PACKAGES);
      // Quoted: YAML would read some hashes as numbers and the time as a timestamp.
      settings.put(BUILD_HASH, "'" + build.hash() + "'");
      settings.put(BUILD_TIME, "'" + build.builtAt() + "'");
      settings.putAll(spec.extra());
      writeConfig(spec.template(), settings, dir.resolve("conf/config.yaml"));
      Files.writeString(dir.resolve("conf/classpath.args"),
          "-cp \"" + String.join(File.pathSeparator, classpath) + "\"\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare cluster folder " + dir, e);
    }
    LocalCluster c = new LocalCluster(dir, spec.restPort());
    try {
      c.launch(JOB_MANAGER, jobManagerJvm(c.config()), StandaloneSessionClusterEntrypoint.class,
          List.of());
      c.awaitOverview(o -> true);
      for (int i = 1; i <= spec.taskManagers(); i++) {
        c.startTaskManager(i);
      }
      int want = spec.taskManagers();
      c.awaitOverview(o -> taskManagers(o) == want);
    } catch (RuntimeException e) {
      stop(dir);
      throw e;
    }
    return c;
  }

  /** The cluster recorded in {@code dir} (its REST port read from the folder's config). */
  public static LocalCluster in(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    if (!Files.isRegularFile(d.resolve("conf/config.yaml"))) {
      throw new ConvoyException(d + ": no cluster was started in this folder");
    }
    Configuration cfg = GlobalConfiguration.loadConfiguration(d.resolve("conf").toString());
    return new LocalCluster(d, cfg.get(org.apache.flink.configuration.RestOptions.PORT));
  }

  /**
   * The Convoy build installed on this cluster at start; empty for a cluster started by a convoy
   * that installed none.
   */
  public Optional<ConvoyBuild> build() {
    return buildIn(config());
  }

  /**
   * The Convoy build installed on the cluster whose REST API answers at {@code master} ({@code
   * host:port}), or empty for a cluster that has none (Convoy then comes from each job's jar).
   *
   * @throws ConvoyException when nothing answers there
   */
  public static Optional<ConvoyBuild> buildAt(String master) {
    String json = get(master, "/jobmanager/config").orElseThrow(() -> new ConvoyException(
        "no Flink cluster answers at " + master + " (start one with ./convoy cluster start)"));
    Configuration cfg = new Configuration();
    try {
      for (JsonNode entry : new ObjectMapper().readTree(json)) {
        cfg.setString(entry.path("key").asText(), entry.path("value").asText());
      }
    } catch (IOException e) {
      throw new ConvoyException("the Flink cluster at " + master
          + " answered /jobmanager/config with something that is not JSON: " + e.getMessage());
    }
    return buildIn(cfg);
  }

  /**
   * Checks that the cluster at {@code master} runs Convoy build {@code mine}, or has no Convoy of
   * its own (then the job's staged classes run).
   *
   * @throws StaleClusterException when it runs another build
   */
  public static void requireBuild(String master, ConvoyBuild mine) {
    Optional<ConvoyBuild> theirs = buildAt(master);
    if (theirs.isPresent() && !theirs.get().hash().equals(mine.hash())) {
      throw new StaleClusterException(master, theirs.get(), mine);
    }
  }

  private static Optional<ConvoyBuild> buildIn(Configuration cfg) {
    String hash = cfg.getString(BUILD_HASH, "");
    String time = cfg.getString(BUILD_TIME, "");
    if (hash.isEmpty() || time.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new ConvoyBuild(hash, Instant.parse(time)));
  }

  /** {@code localhost:PORT}, the value for {@code --flink-master}. */
  public String master() {
    return "localhost:" + restPort;
  }

  public Path dir() {
    return dir;
  }

  /** Starts TaskManager number {@code i} (1-based), e.g. to replace one that died. */
  public ProcessHandle startTaskManager(int i) {
    Configuration cfg = config();
    TaskExecutorProcessSpec tm = TaskExecutorProcessUtils.processSpecFromConfig(cfg);
    List<String> jvm = new ArrayList<>(split(ProcessMemoryUtils.generateJvmParametersStr(tm)));
    // A TaskManager runs one single-threaded Convoy task per slot: it sees as many processors as
    // it has slots, so its JVM sizes GC, JIT and pools for its share of the machine, not all of
    // it (the config's own options come after and may say otherwise).
    jvm.add("-XX:ActiveProcessorCount=" + cfg.get(TaskManagerOptions.NUM_TASK_SLOTS));
    jvm.addAll(javaOpts(cfg, CoreOptions.FLINK_TM_JVM_OPTIONS));
    List<String> args = split(TaskExecutorProcessUtils.generateDynamicConfigsStr(tm));
    return launch(TASK_MANAGER + i, jvm, TaskManagerRunner.class, args);
  }

  /** The JobManager's process, if it is alive. */
  public Optional<ProcessHandle> jobManager() {
    return alive(dir.resolve(JOB_MANAGER + ".pid"));
  }

  /** The process of TaskManager number {@code i}, if it is alive. */
  public Optional<ProcessHandle> taskManager(int i) {
    return alive(dir.resolve(TASK_MANAGER + i + ".pid"));
  }

  /** The JobManager's {@code /overview} JSON, or empty when it does not answer. */
  public Optional<String> overview() {
    return get("/overview");
  }

  /** A GET on the JobManager's REST API, or empty when it does not answer. */
  public Optional<String> get(String path) {
    return get(master(), path);
  }

  /** A GET on the REST API of the JobManager at {@code master}, or empty when it does not answer. */
  static Optional<String> get(String master, String path) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + master + path))
        .timeout(Duration.ofSeconds(5)).GET().build();
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The number of TaskManagers an {@code /overview} reply counts. */
  public static int taskManagers(String overview) {
    Matcher m = Pattern.compile("\"taskmanagers\"\\s*:\\s*(\\d+)").matcher(overview);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** The processes recorded in {@code dir} and whether each is alive, plus the REST overview. */
  public static Status status(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    Map<String, Boolean> procs = new LinkedHashMap<>();
    for (Path pid : pidFiles(d)) {
      String name = pid.getFileName().toString().replace(".pid", "");
      procs.put(name, alive(pid).isPresent());
    }
    Optional<String> overview = Files.isRegularFile(d.resolve("conf/config.yaml"))
        && procs.containsValue(true) ? in(d).overview() : Optional.empty();
    return new Status(procs, overview);
  }

  /**
   * Stops every process recorded in {@code dir}: TaskManagers first, then the JobManager; a
   * polite SIGTERM, then SIGKILL for those still alive after a grace period. Returns how many
   * processes were running.
   */
  public static int stop(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    List<ProcessHandle> running = new ArrayList<>();
    List<Path> pids = new ArrayList<>(pidFiles(d));
    pids.sort((a, b) -> Boolean.compare(a.toString().contains(JOB_MANAGER),
        b.toString().contains(JOB_MANAGER)));
    for (Path pid : pids) {
      alive(pid).ifPresent(running::add);
    }
    running.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (ProcessHandle h : running) {
      long left = Math.max(0, deadline - System.nanoTime());
      try {
        h.onExit().get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        h.destroyForcibly();
        h.onExit().join();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e);
      } catch (InterruptedException e) {
        h.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (Path pid : pids) {
      try {
        Files.deleteIfExists(pid);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return running.size();
  }

  /** The classpath a cluster runs on: this JVM's, minus Convoy's own classes. */
  public static List<String> classpathWithoutConvoy() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.isEmpty() && !JobJar.holdsConvoy(Path.of(e)))
        .toList();
  }

  private Configuration config() {
    return GlobalConfiguration.loadConfiguration(dir.resolve("conf").toString());
  }

  private static List<String> jobManagerJvm(Configuration cfg) {
    JobManagerProcessSpec jm = JobManagerProcessUtils.processSpecFromConfigWithNewOptionToInterpretLegacyHeap(
        cfg, JobManagerOptions.TOTAL_PROCESS_MEMORY);
    List<String> jvm = new ArrayList<>(split(JobManagerProcessUtils.generateJvmParametersStr(jm,
        cfg)));
    jvm.addAll(javaOpts(cfg, CoreOptions.FLINK_JM_JVM_OPTIONS));
    return jvm;
  }

  /** {@code env.java.opts.all}, then the process's own {@code env.java.opts.<process>}. */
  private static List<String> javaOpts(Configuration cfg,
      org.apache.flink.configuration.ConfigOption<String> own) {
    List<String> opts = new ArrayList<>(split(cfg.get(CoreOptions.FLINK_JVM_OPTIONS)));
    opts.addAll(split(cfg.get(own)));
    return opts;
  }

  private ProcessHandle launch(String name, List<String> jvm, Class<?> main, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvm);
    cmd.add("-Dlog.file=" + dir.resolve("log/" + name + ".log"));
    cmd.add("@" + dir.resolve("conf/classpath.args"));
    cmd.add(main.getName());
    cmd.add("--configDir");
    cmd.add(dir.resolve("conf").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log/" + name + ".out").toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    try {
      Process p = pb.start();
      Files.writeString(dir.resolve(name + ".pid"), p.pid() + "\n");
      return p.toHandle();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + " JVM", e);
    }
  }

  private void awaitOverview(java.util.function.Predicate<String> ready) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (Path pid : pidFiles(dir)) {
        if (alive(pid).isEmpty()) {
          String name = pid.getFileName().toString().replace(".pid", "");
          throw new ConvoyException(name + " exited while the cluster started; see "
              + dir.resolve("log/" + name + ".out"));
        }
      }
      Optional<String> o = overview();
      if (o.isPresent() && ready.test(o.get())) {
        return;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the cluster started", e);
      }
    }
    throw new ConvoyException("cluster in " + dir + " not ready after " + START_TIMEOUT.toSeconds()
        + " s; see " + dir.resolve("log"));
  }

  /** The value of {@code key} in a config template, or "" where it has none. */
  private static String templateValue(Path template, String key) throws IOException {
    for (String line : Files.readAllLines(template, StandardCharsets.UTF_8)) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#") && line.substring(0, colon).strip().equals(key)) {
        return line.substring(colon + 1).strip();
      }
    }
    return "";
  }

  private static void writeConfig(Path template, Map<String, String> settings, Path out)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    for (String line : Files.readAllLines(template, StandardCharsets.UTF_8)) {
      int colon = line.indexOf(':');
      String key = colon > 0 && !line.startsWith("#") ? line.substring(0, colon).strip() : null;
      if (key == null || !settings.containsKey(key)) {
        sb.append(line).append('\n');
      }
    }
    sb.append("\n# Set by convoy cluster start\n");
    settings.forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
    Files.writeString(out, sb.toString());
  }

  private static List<Path> pidFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".pid")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The live process a pid file names, if it is still a java process. */
  private static Optional<ProcessHandle> alive(Path pidFile) {
    try {
      if (!Files.isRegularFile(pidFile)) {
        return Optional.empty();
      }
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
          .filter(h -> h.info().command().map(c -> c.endsWith("java")).orElse(true));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static List<String> split(String flags) {
    return Arrays.stream(flags.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }
}

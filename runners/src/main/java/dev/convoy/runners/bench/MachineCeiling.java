package dev.convoy.runners.bench;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.stage.OptimizeSettings;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.ModelFiles;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.pipeline.zoo.ZooIO;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.layout.IoLayout;
import dev.convoy.transforms.verify.LatencyProbe;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Oracle;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What this machine gives two workers of Convoy's own work, with no runner around it: the
 * per-model work of the zoo pipeline's stages (import, optimization for {@code .cvy} at the
 * level, verification against ONNX Runtime, the latency probe's evaluator runs, writing the
 * artifact), over one sample of the zoo, by one worker and by two at once, each worker doing the
 * whole sample: two threads of one JVM, and two JVMs (started with a single-slot TaskManager's
 * GC and processor count). One worker's wall time over two workers' wall time for twice the work
 * is the speed-up the machine allows (2.0 when the second core does as much as the first); the
 * CPU seconds each worker's task thread spends on one pass, one worker against two, say whether
 * running side by side makes the same work dearer (shared caches, memory bandwidth, clock), which
 * holds on a loaded machine too, where wall times mean little. Rounds alternate one and two
 * workers after a warm-up pass, and every figure is the median over rounds; beside each round
 * the CPU seconds the rest of the machine used (other processes, from {@code /proc/stat}) and
 * the CPU time stolen by the hypervisor, and the JIT compiler threads' CPU in each round (JIT work
 * that is left after the warm-up, over the same models again: a long tail of methods reaching
 * the optimizing compiler's thresholds, which costs no wall time while a core is free).
 *
 * <p>In-process: {@link #threads} and {@link #jvms}. A child JVM runs {@link #main} with the zoo
 * and sample size, warms up, prints {@code ceiling: ready}, then runs one pass per {@code go} line
 * on its input and answers {@code ceiling: done WALL_NS TASK_CPU_NS}.
 */
public final class MachineCeiling {
  private static final String READY = "ceiling: ready";
  private static final String DONE = "ceiling: done ";
  /** JVM options of a child: a single-slot TaskManager's (configs/flink/config.yaml). */
  private static final List<String> CHILD_JVM =
      List.of("-Xmx1g", "-XX:+UseSerialGC", "-XX:ActiveProcessorCount=1");

  private MachineCeiling() {}

  /** One round: how many workers, its wall time, each worker's task-thread CPU, the machine's. */
  record Round(int workers, double wallSeconds, List<Double> taskCpuSeconds, double jitSeconds,
      double othersCpuSeconds, double stolenSeconds) {}

  /** The rounds of one way of running two workers (threads or JVMs). */
  record Result(String mode, int models, List<Round> rounds) {
    double medianWall(int workers) {
      return median(rounds.stream().filter(r -> r.workers() == workers)
          .mapToDouble(Round::wallSeconds).toArray());
    }

    /** Median task-thread CPU seconds of one worker's pass, with {@code workers} running. */
    double medianTaskCpu(int workers) {
      return median(rounds.stream().filter(r -> r.workers() == workers)
          .flatMap(r -> r.taskCpuSeconds().stream()).mapToDouble(Double::doubleValue).toArray());
    }

    double medianOthers(int workers) {
      return median(rounds.stream().filter(r -> r.workers() == workers)
          .mapToDouble(Round::othersCpuSeconds).toArray());
    }

    double medianJit(int workers) {
      return median(rounds.stream().filter(r -> r.workers() == workers)
          .mapToDouble(Round::jitSeconds).toArray());
    }

    double medianStolen(int workers) {
      return median(rounds.stream().filter(r -> r.workers() == workers)
          .mapToDouble(Round::stolenSeconds).toArray());
    }

    /** Throughput of two workers over one: twice the work, in its wall time. */
    double speedup() {
      return 2 * medianWall(1) / medianWall(2);
    }

    /** Two workers' throughput over one had the machine been theirs: 2 / CPU inflation. */
    double cpuSpeedup() {
      return 2 * medianTaskCpu(1) / medianTaskCpu(2);
    }
  }

  /**
   * Every {@code stride}-th model of the zoo (its listing order), {@code size} at most: one sample
   * that holds every kind the zoo has.
   */
  static List<ModelRef> sample(Path zoo, int size) {
    List<ModelRef> all = ZooIO.list(zoo);
    int stride = Math.max(1, all.size() / Math.max(1, size));
    List<ModelRef> out = new ArrayList<>();
    for (int i = 0; i < all.size() && out.size() < size; i += stride) {
      out.add(all.get(i));
    }
    return out;
  }

  /** Two workers as two threads of this JVM: {@code rounds} rounds of 1 and of 2 workers. */
  static Result threads(List<ModelRef> models, Level level, int rounds, Path scratch)
      throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Worker> workers = List.of(new Worker(level, scratch.resolve("t1")),
        new Worker(level, scratch.resolve("t2")));
    try {
      List<Round> out = new ArrayList<>();
      runRound(pool, workers, models, mx);
      for (int r = 0; r < 2 * rounds; r++) {
        int n = r % 2 + 1;
        Machine before = Machine.now();
        JvmCpu self = JvmCpu.of(ProcessHandle.current().pid());
        long t0 = System.nanoTime();
        List<Double> cpu = runRound(pool, workers.subList(0, n), models, mx);
        double wall = (System.nanoTime() - t0) / 1e9;
        Machine used = Machine.now().minus(before);
        JvmCpu mine = JvmCpu.of(ProcessHandle.current().pid()).minus(self);
        out.add(new Round(n, wall, cpu, mine.jit(), used.busy() - mine.total(), used.stolen()));
      }
      return new Result("2 threads, 1 JVM", models.size(), out);
    } finally {
      pool.shutdownNow();
      workers.forEach(Worker::close);
    }
  }

  /** Each worker's pass on its own pool thread; each one's task-thread CPU seconds. */
  private static List<Double> runRound(ExecutorService pool, List<Worker> workers,
      List<ModelRef> models, ThreadMXBean mx) throws Exception {
    List<Future<Double>> passes = new ArrayList<>();
    for (Worker w : workers) {
      passes.add(pool.submit(() -> {
        long c0 = mx.getCurrentThreadCpuTime();
        w.pass(models);
        return (mx.getCurrentThreadCpuTime() - c0) / 1e9;
      }));
    }
    List<Double> cpu = new ArrayList<>();
    for (Future<Double> f : passes) {
      cpu.add(f.get());
    }
    return cpu;
  }

  /**
   * Two workers as two JVMs (each warmed up on the sample first): {@code rounds} rounds of 1 and
   * of 2 workers.
   */
  static Result jvms(Path zoo, int size, Level level, int rounds) throws Exception {
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        children.add(Child.start(zoo, size, level));
      }
      for (Child c : children) {
        c.awaitReady();
      }
      List<Round> out = new ArrayList<>();
      for (int r = 0; r < 2 * rounds; r++) {
        int n = r % 2 + 1;
        List<Child> running = children.subList(0, n);
        Machine before = Machine.now();
        List<JvmCpu> procs = new ArrayList<>();
        for (Child c : running) {
          procs.add(JvmCpu.of(c.process.pid()));
        }
        double self = cpuSeconds(ProcessHandle.current().pid());
        long t0 = System.nanoTime();
        running.forEach(Child::go);
        List<Double> cpu = new ArrayList<>();
        for (Child c : running) {
          cpu.add(c.awaitDone());
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        Machine used = Machine.now().minus(before);
        double mine = cpuSeconds(ProcessHandle.current().pid()) - self;
        double jit = 0;
        for (int i = 0; i < n; i++) {
          JvmCpu child = JvmCpu.of(running.get(i).process.pid()).minus(procs.get(i));
          mine += child.total();
          jit += child.jit();
        }
        out.add(new Round(n, wall, cpu, jit, used.busy() - mine, used.stolen()));
      }
      return new Result("2 JVMs", size, out);
    } finally {
      children.forEach(Child::close);
    }
  }

  /** The Markdown table of both results, with each mode's rounds in a second table. */
  static String markdown(List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| machine ceiling | models per pass | wall s, 1 worker | wall s, 2 workers"
        + " (2 passes) | speed-up 1->2 (wall) | task CPU s per pass, 1 worker | task CPU s per"
        + " pass, 2 workers | speed-up 1->2 (CPU) | JIT CPU s per round, 1 / 2 workers |"
        + " others' CPU s, 1 / 2 workers | stolen s, 1 / 2 workers |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      sb.append(String.format("| %s | %d | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2fx |"
              + " %.2f / %.2f | %.1f / %.1f | %.1f / %.1f |%n", r.mode(), r.models(),
          r.medianWall(1), r.medianWall(2), r.speedup(), r.medianTaskCpu(1), r.medianTaskCpu(2),
          r.cpuSpeedup(), r.medianJit(1), r.medianJit(2), r.medianOthers(1), r.medianOthers(2),
          r.medianStolen(1), r.medianStolen(2)));
    }
    sb.append("\n| mode | round | workers | wall s | task CPU s per worker | JIT CPU s"
        + " | others' CPU s | stolen s |\n|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      for (int i = 0; i < r.rounds().size(); i++) {
        Round x = r.rounds().get(i);
        sb.append(String.format("| %s | %d | %d | %.2f | %s | %.2f | %.1f | %.1f |%n", r.mode(),
            i + 1, x.workers(), x.wallSeconds(), x.taskCpuSeconds().stream()
                .map(c -> String.format("%.2f", c)).toList(), x.jitSeconds(),
            x.othersCpuSeconds(), x.stolenSeconds()));
      }
    }
    return sb.toString();
  }

  /**
   * Both ways over one sample of {@code zoo}: {@code size} models, {@code rounds} rounds each.
   */
  public static String measure(Path zoo, int size, Level level, int rounds, Path scratch)
      throws Exception {
    List<ModelRef> models = sample(zoo, size);
    Result t = threads(models, level, rounds, scratch);
    Result j = jvms(zoo, size, level, rounds);
    return markdown(List.of(t, j));
  }

  /**
   * {@code MachineCeiling ZOO SIZE LEVEL}: a child worker ({@link #jvms}); {@code MachineCeiling
   * ZOO SIZE LEVEL ROUNDS SCRATCH}: the whole measurement, printed as Markdown.
   */
  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: MachineCeiling ZOO SIZE LEVEL [ROUNDS SCRATCH]");
      System.exit(2);
    }
    Path zoo = Path.of(args[0]).toAbsolutePath();
    int size = Integer.parseInt(args[1]);
    Level level = Level.parse(args[2]);
    if (args.length > 4) {
      System.out.println(measure(zoo, size, level, Integer.parseInt(args[3]), Path.of(args[4])));
      return;
    }
    child(zoo, size, level);
  }

  private static void child(Path zoo, int size, Level level) throws IOException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    List<ModelRef> models = sample(zoo, size);
    Path scratch = Files.createTempDirectory("convoy-ceiling");
    try (Worker w = new Worker(level, scratch);
        BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      w.pass(models);
      System.out.println(READY);
      for (String line = in.readLine(); line != null && line.equals("go"); line = in.readLine()) {
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        w.pass(models);
        System.out.println(DONE + (System.nanoTime() - t0) + " "
            + (mx.getCurrentThreadCpuTime() - c0));
      }
    }
  }

  /**
   * One worker's state, as the pipeline's stages set it up once per worker: an ONNX Runtime
   * verifier and a one-thread evaluator, and a folder to write artifacts in.
   */
  static final class Worker implements AutoCloseable {
    private final OptimizeSettings settings;
    private final OrtVerifier ort = new OrtVerifier();
    private final Evaluator evaluator = new Evaluator(OpCatalog.standard(), Parallel.serial());
    private final Path scratch;

    Worker(Level level, Path scratch) {
      this.settings = new OptimizeSettings(level, java.util.Set.of(), java.util.Set.of(),
          Target.STANDARD.withConvoyOps(true));
      try {
        this.scratch = Files.createDirectories(scratch);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The whole sample once; a model that fails (the zoo's broken ones) fails as in a run. */
    void pass(List<ModelRef> models) {
      for (ModelRef m : models) {
        try {
          model(m);
        } catch (RuntimeException e) {
          // Failing is that model's work, as in a run.
        }
      }
    }

    /** The stages' work on one model: convert, optimize, verify, write, time. */
    private void model(ModelRef ref) {
      Path path = ModelFiles.local(ref.path());
      Graph source = ref.weights().isEmpty() ? Models.load(path)
          : Models.load(path, Storage.localCopy(ref.weights()));
      Map<String, long[]> shapes = ref.inputShapeArrays();
      Graph result = Optimizer.optimize(source, settings.options(Map.of(), false)).graph();
      Map<String, Tensor> inputs = SeededInputs.generate(source, shapes);
      Oracle oracle = Oracle.choose(ModelFormat.sniff(path), ModelFormat.CVY);
      ModelVerification.judge(oracle, path, source, result, inputs, ort, evaluator,
          () -> PassBisect.culprit(source, settings.options(shapes, true), shapes));
      Models.save(result, scratch.resolve(ref.name() + ".cvy"), ModelFormat.CVY);
      LatencyProbe probe = new LatencyProbe(1, RunConfig.DEFAULT_LATENCY_RUNS);
      probe.evaluator(source, inputs);
      probe.evaluator(result, IoLayout.inputsFor(result, inputs));
    }

    @Override
    public void close() {
      ort.close();
    }
  }

  /** A child JVM running {@link #child}. */
  private static final class Child implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final BufferedWriter in;

    private Child(Process process) {
      this.process = process;
      this.out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = new BufferedWriter(
          new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    }

    static Child start(Path zoo, int size, Level level) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(CHILD_JVM);
      // The parent's module flags (the Vector API) and system properties, so both run one code.
      for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (a.startsWith("--add-modules") || a.startsWith("-Dconvoy.")) {
          cmd.add(a);
        }
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
          MachineCeiling.class.getName(), zoo.toString(), String.valueOf(size), level.name()));
      return new Child(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
          .start());
    }

    void awaitReady() throws IOException {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.equals(READY)) {
          return;
        }
      }
      throw new IOException("a ceiling JVM exited before it was ready");
    }

    void go() {
      try {
        in.write("go\n");
        in.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The task-thread CPU seconds of the pass just done. */
    double awaitDone() throws IOException {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith(DONE)) {
          return Long.parseLong(line.substring(DONE.length()).split(" ")[1]) / 1e9;
        }
      }
      throw new IOException("a ceiling JVM exited during a pass");
    }

    @Override
    public void close() {
      try {
        in.close();
        process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
      } catch (IOException | InterruptedException e) {
        // Killed below.
      }
      process.destroyForcibly();
    }
  }

  /** The whole machine's CPU time so far from {@code /proc/stat}: busy and stolen seconds. */
  record Machine(double busy, double stolen) {
    static Machine now() {
      try {
        String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
        long[] f = Arrays.stream(cpu.substring(3).strip().split("\\s+"))
            .mapToLong(Long::parseLong).toArray();
        // user nice system idle iowait irq softirq steal (guest time is inside user).
        long busy = f[0] + f[1] + f[2] + f[5] + f[6];
        return new Machine(busy / JvmCpu.TICKS_PER_SECOND, f[7] / JvmCpu.TICKS_PER_SECOND);
      } catch (IOException | RuntimeException e) {
        return new Machine(0, 0);
      }
    }

    Machine minus(Machine before) {
      return new Machine(busy - before.busy, stolen - before.stolen);
    }
  }

  private static double cpuSeconds(long pid) {
    return JvmCpu.of(pid).total();
  }

  private static double median(double[] v) {
    return v.length == 0 ? Double.NaN : BenchTable.median(v);
  }
}

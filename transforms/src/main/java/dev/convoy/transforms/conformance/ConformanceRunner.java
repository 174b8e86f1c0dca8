package dev.convoy.transforms.conformance;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Runs the ONNX backend node tests ({@code <test>/model.onnx} with {@code
 * test_data_set_0/input_K.pb} and expected {@code output_K.pb}) through import, shape inference
 * and the evaluator, and compares: floats within rtol 1e-3 / atol 1e-5, integers, bool and
 * strings exactly, shapes and element types exactly; inferred output types must agree with the
 * computed values. A test is skipped when it needs an op or element type Convoy lacks; any other
 * problem fails it.
 */
public final class ConformanceRunner {
  public static final double RTOL = 1e-3;
  public static final double ATOL = 1e-5;
  private static final long TIMEOUT_SECONDS = 20;

  /** Outcome of one test. */
  public enum Status {
    PASSED,
    FAILED,
    SKIPPED
  }

  /** One test's result: status, the op types its graph uses, a message for failures and skips. */
  public record TestResult(String name, Status status, List<String> opTypes, String message,
      long millis) {}

  /** Counts over a run. */
  public record Summary(int passed, int failed, int skipped) {
    public int total() {
      return passed + failed + skipped;
    }

    /** {@code N passed, N failed, N skipped}: the last line the CLI prints. */
    public String line() {
      return passed + " passed, " + failed + " failed, " + skipped + " skipped";
    }
  }

  /** All results of a run. */
  public record Report(List<TestResult> results) {
    public Summary summary() {
      int p = 0;
      int f = 0;
      int s = 0;
      for (TestResult r : results) {
        switch (r.status()) {
          case PASSED -> p++;
          case FAILED -> f++;
          case SKIPPED -> s++;
        }
      }
      return new Summary(p, f, s);
    }

    /** Writes one row per test: name, status, op types, milliseconds, message (TSV). */
    public void writeTsv(Path file) {
      StringBuilder sb = new StringBuilder("test\tstatus\tops\tmillis\tmessage\n");
      for (TestResult r : results) {
        sb.append(r.name()).append('\t').append(r.status().name().toLowerCase())
            .append('\t').append(String.join(",", r.opTypes()))
            .append('\t').append(r.millis())
            .append('\t').append(r.message().replace('\t', ' ').replace('\n', ' '))
            .append('\n');
      }
      try {
        if (file.toAbsolutePath().getParent() != null) {
          Files.createDirectories(file.toAbsolutePath().getParent());
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new ConvoyException(file + ": cannot write report (" + e.getMessage() + ")", e);
      }
    }
  }

  private final Evaluator evaluator;

  public ConformanceRunner(Evaluator evaluator) {
    this.evaluator = evaluator;
  }

  /** Runs every test folder under {@code dir} whose name matches {@code globFilter} (or all). */
  public static Report run(Path dir, String globFilter) {
    return new ConformanceRunner(new Evaluator(OpCatalog.standard(), Parallel.available()))
        .runAll(dir, globFilter);
  }

  /** Runs the matching tests under {@code dir}, in name order. */
  public Report runAll(Path dir, String globFilter) {
    if (!Files.isDirectory(dir)) {
      throw new ConvoyException(dir + ": not a folder of node tests");
    }
    PathMatcher match = globFilter == null || globFilter.isBlank() ? null
        : FileSystems.getDefault().getPathMatcher("glob:" + globFilter);
    List<Path> tests;
    try (Stream<Path> s = Files.list(dir)) {
      tests = s.filter(p -> Files.isRegularFile(p.resolve("model.onnx")))
          .filter(p -> match == null || match.matches(p.getFileName()))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "convoy-conformance");
      t.setDaemon(true);
      return t;
    });
    List<TestResult> results = new ArrayList<>();
    try {
      for (Path t : tests) {
        results.add(runWithTimeout(worker, t));
        if (worker.isShutdown()) {
          worker = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "convoy-conformance");
            th.setDaemon(true);
            return th;
          });
        }
      }
    } finally {
      worker.shutdownNow();
    }
    return new Report(results);
  }

  private TestResult runWithTimeout(ExecutorService worker, Path test) {
    long start = System.nanoTime();
    Future<TestResult> f = worker.submit(() -> runOne(test));
    try {
      return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      worker.shutdownNow();
      return new TestResult(test.getFileName().toString(), Status.FAILED, List.of(),
          "timed out after " + TIMEOUT_SECONDS + " s", (System.nanoTime() - start) / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConvoyException("interrupted");
    } catch (ExecutionException e) {
      return new TestResult(test.getFileName().toString(), Status.FAILED, List.of(),
          String.valueOf(e.getCause()), (System.nanoTime() - start) / 1_000_000);
    }
  }

  /** Runs one test folder. */
  public TestResult runOne(Path test) {
    String name = test.getFileName().toString();
    long start = System.nanoTime();
    List<String> ops = List.of();
    Status status;
    String message = "";
    try {
      Graph g = OnnxImporter.importFile(test.resolve("model.onnx"));
      TreeSet<String> opSet = new TreeSet<>(g.opHistogram().keySet());
      ops = List.copyOf(opSet);
      message = check(g, test.resolve("test_data_set_0"));
      status = message.isEmpty() ? Status.PASSED : Status.FAILED;
    } catch (UnsupportedOpException e) {
      status = Status.SKIPPED;
      message = e.getMessage();
    } catch (ConvoyException e) {
      status = Status.FAILED;
      message = e.getMessage();
    } catch (RuntimeException | StackOverflowError e) {
      status = Status.FAILED;
      message = e.toString();
    }
    return new TestResult(name, status, ops, message == null ? "" : message,
        (System.nanoTime() - start) / 1_000_000);
  }

  /** Empty when the graph reproduces the expected outputs, else what differs. */
  private String check(Graph g, Path data) {
    evaluator.requireSupported(g);
    Map<String, RuntimeValue> inputs = new LinkedHashMap<>();
    int k = 0;
    for (Value in : g.inputs()) {
      if (g.initializer(in.name()) != null) {
        continue;
      }
      Path file = data.resolve("input_" + k++ + ".pb");
      if (Files.exists(file)) {
        inputs.put(in.name(), ValueFiles.read(file, in.type()));
      }
    }
    List<ValueType> declared = g.outputs().stream().map(Value::type).toList();
    try {
      ShapeInference inference = new ShapeInference(evaluator.catalog());
      inference.run(g);
      if (!inference.failures().isEmpty()) {
        return "shape inference: " + inference.failures().get(0);
      }
    } catch (UnsupportedOpException e) {
      throw e;
    } catch (ConvoyException e) {
      return "shape inference: " + e.getMessage();
    }
    Map<String, RuntimeValue> actual = evaluator.run(g, inputs);
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < g.outputs().size(); i++) {
      Value out = g.outputs().get(i);
      Path file = data.resolve("output_" + i + ".pb");
      RuntimeValue got = actual.get(out.name());
      RuntimeValue want = ValueFiles.read(file, declared.get(i) != null ? declared.get(i)
          : out.type());
      String diff = compare(got, want);
      if (diff != null) {
        problems.add("output '" + out.name() + "': " + diff);
      } else if (got instanceof NdArray a && out.type() instanceof ValueType.TensorType tt
          && !agrees(tt, a)) {
        problems.add("output '" + out.name() + "': inferred type " + tt + " but computed "
            + a.describe());
      }
    }
    return String.join("; ", problems);
  }

  private static boolean agrees(ValueType.TensorType t, NdArray a) {
    if (t.dtype() != a.dtype()) {
      return false;
    }
    Shape s = t.shape();
    if (!s.hasRank()) {
      return true;
    }
    if (s.rank() != a.rank()) {
      return false;
    }
    for (int i = 0; i < s.rank(); i++) {
      Dim d = s.dim(i);
      if (d.isStatic() && d.size() != a.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /** Null when equal within tolerance, else a description of the first difference. */
  static String compare(RuntimeValue got, RuntimeValue want) {
    if (want instanceof RuntimeValue.SequenceValue ws) {
      if (!(got instanceof RuntimeValue.SequenceValue gs)) {
        return "expected a sequence, got " + got.describe();
      }
      if (gs.size() != ws.size()) {
        return "expected " + ws.size() + " sequence items, got " + gs.size();
      }
      for (int i = 0; i < ws.size(); i++) {
        String d = compare(gs.items().get(i), ws.items().get(i));
        if (d != null) {
          return "item " + i + ": " + d;
        }
      }
      return null;
    }
    if (want instanceof RuntimeValue.OptionalValue wo) {
      if (!(got instanceof RuntimeValue.OptionalValue go)) {
        return "expected an optional, got " + got.describe();
      }
      if (wo.isPresent() != go.isPresent()) {
        return "expected " + wo.describe() + ", got " + go.describe();
      }
      return wo.isPresent() ? compare(go.value(), wo.value()) : null;
    }
    NdArray w = (NdArray) want;
    if (!(got instanceof NdArray a)) {
      return "expected a tensor " + w.describe() + ", got " + got.describe();
    }
    if (a.dtype() != w.dtype() || !Arrays.equals(a.dims(), w.dims())) {
      return "expected " + w.describe() + ", got " + a.describe();
    }
    DType t = w.dtype();
    if (t == DType.STRING) {
      byte[][] x = a.strings();
      byte[][] y = w.strings();
      for (int i = 0; i < y.length; i++) {
        if (!Arrays.equals(x[i], y[i])) {
          return "element " + i + ": expected '" + new String(y[i], StandardCharsets.UTF_8)
              + "', got '" + new String(x[i], StandardCharsets.UTF_8) + "'";
        }
      }
      return null;
    }
    int n = w.size();
    if (t.isFloatingPoint()) {
      int bad = 0;
      String first = null;
      for (int i = 0; i < n; i++) {
        double x = a.getDouble(i);
        double y = w.getDouble(i);
        boolean ok = Double.isNaN(y) ? Double.isNaN(x)
            : Double.isInfinite(y) ? x == y
            : Math.abs(x - y) <= ATOL + RTOL * Math.abs(y);
        if (!ok) {
          if (first == null) {
            first = "element " + i + ": expected " + y + ", got " + x;
          }
          bad++;
        }
      }
      return first == null ? null : bad + " of " + n + " elements differ; " + first;
    }
    for (int i = 0; i < n; i++) {
      if (a.getLong(i) != w.getLong(i)) {
        return "element " + i + ": expected " + w.getLong(i) + ", got " + a.getLong(i);
      }
    }
    return null;
  }
}

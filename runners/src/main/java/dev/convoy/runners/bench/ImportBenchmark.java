package dev.convoy.runners.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * ONNX import cost against ONNX Runtime's session creation (every graph optimization off), per
 * model, in one run: import time, Java heap allocated during the import (thread-allocated bytes)
 * and heap still held by the imported graph after a full GC, beside the time ONNX Runtime takes to
 * create a session for the same file. Warm-up runs first; figures are medians of the timed runs.
 */
public final class ImportBenchmark {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
  private static final double MIB = 1 << 20;

  private ImportBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps)
      throws OrtException, IOException {
    BenchTable table = new BenchTable("ONNX import vs ONNX Runtime session creation (optimizations off)",
        "model", "file MiB", "nodes", "import ms", "allocated MiB", "retained MiB",
        "ort session ms", "import / ort");
    OrtVerifier verifier = new OrtVerifier();
    try {
      for (Path model : models) {
        double[] importMs = new double[reps];
        double[] allocated = new double[reps];
        double[] ortMs = new double[reps];
        for (int i = 0; i < warmup; i++) {
          OnnxImporter.importFile(model);
          ortSession(verifier, model);
        }
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          allocated[i] = allocatedMiB(model, OnnxImporter::importFile);
          importMs[i] = (System.nanoTime() - t0) / 1e6;
          ortMs[i] = ortSession(verifier, model);
        }
        double importMedian = BenchTable.median(importMs);
        double ortMedian = BenchTable.median(ortMs);
        table.row(model.getFileName().toString(), Files.size(model) / MIB,
            OnnxImporter.importFile(model).totalNodeCount(), importMedian,
            BenchTable.median(allocated), retainedMiB(model, OnnxImporter::importFile), ortMedian,
            importMedian / ortMedian);
      }
    } finally {
      verifier.close();
    }
    return table.note("Median of " + reps + " runs after " + warmup + " warm-up runs. allocated ="
        + " Java heap allocated by the import thread; retained = heap still used by the imported"
        + " graph after a full GC (weights are memory-mapped, not on the heap). ONNX Runtime's"
        + " session creation works in native memory; it loads the file itself.");
  }

  /** Milliseconds to create (and close) an ONNX Runtime session for {@code model}. */
  private static double ortSession(OrtVerifier verifier, Path model) throws OrtException {
    long t0 = System.nanoTime();
    try (OrtSession s = OrtVerifier.environment().createSession(model.toString(),
        verifier.sessionOptions())) {
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  /** Java heap (MiB) the current thread allocates while running {@code importer} on {@code model}. */
  static double allocatedMiB(Path model, Function<Path, Graph> importer) {
    long a0 = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    importer.apply(model);
    return (THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - a0) / MIB;
  }

  /** Heap held by one imported graph, measured across full GCs (median of three). */
  static double retainedMiB(Path model, Function<Path, Graph> importer) {
    double[] mib = new double[3];
    for (int i = 0; i < mib.length; i++) {
      long before = usedAfterGc();
      Graph g = importer.apply(model);
      long after = usedAfterGc();
      Reference.reachabilityFence(g);
      mib[i] = Math.max(0, after - before) / MIB;
    }
    return BenchTable.median(mib);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }
}

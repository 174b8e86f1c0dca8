package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.OpTimes;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A planned O3 {@code .cvy} of a real dev CNN (static input shapes, so every intermediate has its
 * place in the arena), run again and again by one evaluator session on one thread, allocates per
 * run at most its outputs (which the caller keeps) plus {@value #PER_NODE} bytes per node.
 *
 * <p>The bound is what the design leaves on the heap: per node, the dispatch's input list,
 * kernel context and views of the arena (a few hundred bytes), and the kernel's own constant-size
 * objects (attribute arrays, geometry records, the lambdas of its parallel chunks, window offset
 * tables, a row of per-channel accumulators): 1.0-1.9 KB per node on the dev CNNs when this test
 * was written, so {@value #PER_NODE} bytes, about twice that, leaves room for what another JIT
 * compilation keeps or drops. It is no tensor: one tensor-sized temporary per run (a copy of an
 * arena value read densely, an unplanned output, a widened copy) is 0.1-2 MB on these models,
 * above the whole slack, as were the 40-70 MB per run before the arena, the sessions and the
 * vector kernels' boxing were fixed.
 *
 * <p>Allocation is the calling thread's (HotSpot's counter), so the kernels run serially. The
 * JIT's first compilations box Vector API values for a while, so the runs warm up until the
 * per-run figure stops falling (at least {@value #MIN_WARM_MILLIS} ms, at most {@value
 * #MAX_WARM_MILLIS} ms) and the smallest figure of the last window is checked; a failure lists
 * each op type's allocation per run.
 */
class PlannedRunAllocationTest {
  /** Heap a run may allocate per node besides its outputs (see the class comment). */
  static final long PER_NODE = 4096;
  private static final long MIN_WARM_MILLIS = 2_000;
  private static final long MAX_WARM_MILLIS = 60_000;
  private static final int WINDOW = 10;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mobilenet_v2", "yolox_nano"})
  void aPlannedRunAllocatesOnlyItsOutputsAndPerNodeBookkeeping(String name) {
    Path model = TestData.devModels().resolve(name + ".onnx");
    Map<String, long[]> shapes = ModelVerification.shapes(model, Map.of());
    Graph o3 = Optimizer.optimize(OnnxImporter.importFile(model),
        new OptimizeOptions(Level.O3, Set.of(), Set.of(), null, shapes, false,
            OptimizeOptions.DEFAULT_FOLD_CAP, Target.CVY)).graph();
    Path cvy = dir.resolve(name + ".cvy");
    CvyWriter.write(o3, cvy);
    Graph g = CvyReader.read(cvy);
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    assertEquals(0, plan.skipped().size(), name + ": intermediates left out of the plan: "
        + plan.skipped());

    Map<String, RuntimeValue> inputs = new LinkedHashMap<>();
    SeededInputs.generate(g, shapes).forEach((k, v) -> inputs.put(k, NdArray.fromTensor(v)));
    Evaluator evaluator = new Evaluator(OpCatalog.standard(), Parallel.serial());
    Evaluator.Session session = evaluator.session(g);
    long outputBytes = 0;
    for (RuntimeValue v : session.run(inputs).values()) {
      NdArray a = (NdArray) v;
      outputBytes += (long) a.size() * a.dtype().byteSize();
    }
    long bound = outputBytes + PER_NODE * g.totalNodeCount();

    long steady = steadyAllocation(() -> session.run(inputs));
    if (steady > bound) {
      OpTimes times = new OpTimes();
      evaluator.recordOpTimes(times);
      session.run(inputs);
      evaluator.recordOpTimes(null);
      StringBuilder ops = new StringBuilder();
      times.entries().forEach(e -> ops.append(String.format("%n  %s: %d bytes in %d calls",
          e.op(), e.allocatedBytes(), e.calls())));
      fail(name + ": a run allocates " + steady + " bytes, above " + bound + " ("
          + outputBytes + " of outputs and " + PER_NODE + " per node for "
          + g.totalNodeCount() + " nodes); by op type:" + ops);
    }
  }

  /**
   * The smallest bytes one run of {@code run} allocates among the last {@value #WINDOW} runs,
   * once that smallest figure no longer falls from one window to the next (after at least
   * {@value #MIN_WARM_MILLIS} ms of runs) or after {@value #MAX_WARM_MILLIS} ms.
   */
  private static long steadyAllocation(Runnable run) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long start = System.nanoTime();
    long previous = Long.MAX_VALUE;
    while (true) {
      long least = Long.MAX_VALUE;
      for (int i = 0; i < WINDOW; i++) {
        long before = threads.getCurrentThreadAllocatedBytes();
        run.run();
        least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      if (millis >= MAX_WARM_MILLIS || millis >= MIN_WARM_MILLIS && least >= previous) {
        return least;
      }
      previous = least;
    }
  }
}

package dev.convoy.pipeline.stage;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Latency;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelFiles;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.LatencyProbe;
import dev.convoy.transforms.optimize.layout.IoLayout;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Times each finished model's original and result on its seeded inputs, in the runtime of the
 * artifact's format: ONNX Runtime (one intra-op thread, its optimizations off) for {@code onnx},
 * Convoy's evaluator (one thread; recorded as {@link LatencyProbe#evaluatorRuntime}) for {@code
 * cvy}; median of N runs after one warm-up. A model
 * that cannot be timed (an op the runtime lacks) keeps no figures and gets a note: timing is a
 * report, never a reason to drop a converted model. The time spent here is not part of the
 * model's stage times.
 */
public final class MeasureLatency extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> MEASURED = new TupleTag<>("measured") {};
  static final int WARMUP = 1;

  private final BlobStore store;
  private final String target;
  private final int runs;

  private MeasureLatency(BlobStore store, String target, int runs) {
    super("MeasureLatency(" + target + ")");
    this.store = store;
    this.target = target;
    this.runs = runs;
  }

  /** Median of {@code runs} timed runs per model, in the runtime of {@code target}. */
  public static MeasureLatency medianOf(int runs, String target, String blobs) {
    return new MeasureLatency(new BlobStore(blobs), target, runs);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Time original and result", new MeasureFn(store, target, runs),
        MEASURED, Stages.RUN_CODER);
  }

  static final class MeasureFn extends StageFn<ModelRun, ModelRun> {
    private final BlobStore store;
    private final String target;
    private final int runs;

    MeasureFn(BlobStore store, String target, int runs) {
      super(Stage.MEASURE, MEASURED);
      this.store = store;
      this.target = target;
      this.runs = runs;
    }

    @Override
    ModelRun apply(ModelRun run) throws Exception {
      long t0 = System.nanoTime();
      Graph source = store.get(run.sourceBlob());
      Graph result = store.get(run.graphBlob());
      Map<String, Tensor> inputs = SeededInputs.generate(source, run.ref().inputShapeArrays());
      LatencyProbe probe = new LatencyProbe(WARMUP, runs);
      try {
        Latency l = target.equals("onnx")
            ? new Latency("ort", WARMUP, runs,
                run.ref().format().equals("onnx")
                    ? probe.ort(ModelFiles.local(run.ref().path()), inputs)
                    : probe.ort(OnnxExporter.toBytes(source), inputs),
                probe.ort(OnnxExporter.toBytes(result), inputs))
            : new Latency(LatencyProbe.evaluatorRuntime(), WARMUP, runs, probe.evaluator(source, inputs),
                probe.evaluator(result, IoLayout.inputsFor(result, inputs)));
        return run.withLatency(l).withTime(Stage.MEASURE, System.nanoTime() - t0);
      } catch (ConvoyException e) {
        return run.withNotes(List.of("latency not measured: " + e.getMessage()))
            .withTime(Stage.MEASURE, System.nanoTime() - t0);
      }
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

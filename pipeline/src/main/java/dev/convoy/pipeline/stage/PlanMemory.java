package dev.convoy.pipeline.stage;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.MemoryPlanSummary;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.memory.MemoryPlanner;
import dev.convoy.transforms.optimize.layout.IoLayout;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Plans the arena of each optimized model's intermediates (the O3 memory plan): inputs get the
 * model's concrete shapes (oracle args or manifest), shape inference makes intermediate shapes
 * static, then {@link MemoryPlanner} places them; the arena size, LOAD, the naive sum, the
 * planner and the in-place and alias counts go to {@link ModelRun#memory()}. Intermediates whose
 * shape stays dynamic are left out, and a note says how many.
 */
public final class PlanMemory extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> PLANNED = new TupleTag<>("planned") {};

  private final BlobStore store;

  private PlanMemory(BlobStore store) {
    super("PlanMemory");
    this.store = store;
  }

  public static PlanMemory from(String blobs) {
    return new PlanMemory(new BlobStore(blobs));
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Plan arena", new PlanFn(store), PLANNED, Stages.RUN_CODER);
  }

  /** The plan of {@code g} with {@code ref}'s concrete input shapes (changes {@code g}'s types). */
  static MemoryPlan plan(Graph g, ModelRef ref) {
    var shapes = IoLayout.shapesFor(g, ref.inputShapeArrays());
    for (Value in : g.inputs()) {
      long[] dims = shapes.get(in.name());
      ValueType.TensorType t = in.tensorType();
      if (dims != null && t != null && !t.shape().isStatic()) {
        in.setType(new ValueType.TensorType(t.dtype(), Shape.of(dims)));
      }
    }
    // A branch that cannot run at these shapes (an If's untaken branch, such as Silero VAD's
    // other sample rate) keeps its types, as in the optimizer's infer-shapes; only a node of the
    // graph itself failing means the model cannot run at them.
    ShapeInference inference = new ShapeInference(OpCatalog.standard());
    inference.run(g);
    if (!inference.graphFailures().isEmpty()) {
      throw new ShapeInferenceException(inference.graphFailures().get(0));
    }
    return MemoryPlanner.plan(g);
  }

  static final class PlanFn extends StageFn<ModelRun, ModelRun> {
    private final BlobStore store;

    PlanFn(BlobStore store) {
      super(Stage.PLAN_MEMORY, PLANNED);
      this.store = store;
    }

    @Override
    ModelRun apply(ModelRun run) {
      long t0 = System.nanoTime();
      MemoryPlan p = plan(store.get(run.graphBlob()), run.ref());
      ModelRun out = run.withMemory(new MemoryPlanSummary(p.arenaBytes(), p.lowerBoundBytes(),
          p.naiveBytes(), p.allocations().size(), p.skipped().size(), p.planner(), p.inPlace(),
          p.aliased()));
      if (!p.skipped().isEmpty()) {
        List<String> some = p.skipped().subList(0, Math.min(5, p.skipped().size()));
        out = out.withNotes(List.of("memory plan left out " + p.skipped().size()
            + " intermediates without a static shape (e.g. " + String.join(", ", some) + ")"));
      }
      return out.withTime(Stage.PLAN_MEMORY, System.nanoTime() - t0);
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

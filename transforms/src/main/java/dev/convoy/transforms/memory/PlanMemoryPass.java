package dev.convoy.transforms.memory;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import java.util.Objects;

/**
 * Plans the arena of the graph as it now stands ({@link MemoryPlanner}, subgraphs included) and
 * stores the plan in the model metadata ({@link MemoryPlanCodec}), from where the {@code .cvy}
 * header and ONNX {@code metadata_props} carry it. Run it last, after shapes are inferred: any
 * later change to the graph makes the plan stale, so the optimizer drops a stored plan before it
 * starts. Counts one change when the stored plan changed.
 */
public final class PlanMemoryPass implements Pass {
  public static final String NAME = "plan-memory";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    MemoryPlan plan = MemoryPlanner.plan(graph);
    String before = graph.metadata().get(MemoryPlanCodec.KEY);
    MemoryPlanCodec.store(graph, plan);
    if (!plan.skipped().isEmpty()) {
      ctx.note(NAME + ": " + plan.skipped().size() + " intermediate(s) without a static shape are"
          + " not in the plan, e.g. '" + plan.skipped().get(0) + "'");
    }
    int changed = Objects.equals(before, graph.metadata().get(MemoryPlanCodec.KEY)) ? 0 : 1;
    ctx.count(NAME, changed);
    return changed;
  }
}

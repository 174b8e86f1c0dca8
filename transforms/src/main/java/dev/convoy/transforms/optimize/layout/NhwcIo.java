package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;

/**
 * {@code --io-layout nhwc} as a pass, for {@code convoy run}, which switches it on by name: on the
 * {@code cvy} target, after the level's pipeline, {@link IoLayout#toNhwc} drops the Transposes at
 * the 4-D inputs and outputs of the whole model and records which changed. It must see the whole
 * model, never a piece of a partitioned one (whose inputs are cuts, not the model's): the zoo
 * pipeline runs it in the boundary pass over the stitched graph only. Nothing happens for the
 * other targets.
 */
public final class NhwcIo implements Pass {
  public static final String NAME = "io-layout-nhwc";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    if (!ctx.options().target().convoyOps()) {
      return 0;
    }
    IoLayout.Changed c = IoLayout.toNhwc(graph, ctx.options());
    int changes = c.inputs().size() + c.outputs().size();
    ctx.count(NAME, changes);
    return changes;
  }
}

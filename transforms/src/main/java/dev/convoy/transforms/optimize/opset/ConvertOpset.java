package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.infer.InferShapes;

/**
 * The opset conversion of {@code --target-opset} as a pass the optimizer runs before a pipeline
 * (not one a pipeline names): shapes are inferred first for the adapters that need ranks, then
 * {@link OpsetConverter} converts the default domain to the target.
 */
public final class ConvertOpset implements Pass {
  public static final String NAME = "convert-opset";

  private final int target;

  public ConvertOpset(int target) {
    this.target = target;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    new InferShapes().run(graph, ctx);
    int changes = OpsetConverter.convert(graph, target, new Rewriter(ctx));
    ctx.count(NAME, changes);
    return changes;
  }
}

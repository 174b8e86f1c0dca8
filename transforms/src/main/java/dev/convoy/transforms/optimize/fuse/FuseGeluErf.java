package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.scalar;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.List;
import java.util.Map;

/**
 * The exact GELU as exporters spell it, {@code Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)}
 * (either operand order at each step), becomes one {@code Gelu(x)}: ONNX's own from opset 20;
 * below that ONNX Runtime's {@code com.microsoft::Gelu} (which adds that opset import), only when
 * the target allows ONNX Runtime's ops, or {@code convoy::Gelu} for the {@code cvy} target. Every intermediate value must feed only the next step, and
 * the constants must be one-element tensors of the exact values that do not change the result's
 * shape (a {@code [1,1,1]} constant broadcasts a {@code [4]} x to {@code [1,1,4]}, which
 * {@code Gelu(x)} would not keep).
 */
public final class FuseGeluErf implements TreeRule<Value> {
  public static final String NAME = "fuse-gelu-erf";

  private static final PatternTree TREE = op("Mul",
      op("Mul", var("x"),
          op("Add", op("Erf", op("Div", var("x"), scalar(Math.sqrt(2)))), scalar(1.0))),
      scalar(0.5));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  /** The GELU's input {@code x}. */
  @Override
  public Match<Value> check(Binding b, Rewriter rw) {
    if (b.root().graph().opsetVersion("") < 20 && !rw.options().target().allowsFusedOps()) {
      return Match.fail("Gelu needs opset 20, ONNX Runtime's ops or the cvy target");
    }
    Value x = b.value("x");
    for (Value c : b.constants()) {
      if (!Matchers.keepsShape(x, c)) {
        return Match.fail(c.name() + " would change the shape of " + x.name());
      }
    }
    return Match.of(x);
  }

  @Override
  public void apply(Node root, Value x, Rewriter rw) {
    if (root.graph().opsetVersion("") >= 20) {
      rw.replaceWithNew(root, root.output(0), "Gelu", List.of(x), Map.of(), root.name());
    } else {
      String domain = rw.options().target().fusedDomain();
      rw.replaceWithNew(root, root.output(0), domain, 1, "Gelu", List.of(x), Map.of(),
          root.name());
    }
    rw.erase(root);
  }
}

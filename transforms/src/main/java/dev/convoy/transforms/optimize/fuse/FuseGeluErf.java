package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.family.ConvoyFused;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
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
public final class FuseGeluErf implements Rule {
  public static final String NAME = "fuse-gelu-erf";

  private static final double SQRT2 = Math.sqrt(2);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  @Override
  public boolean matches(Node root, Rewriter rw) {
    Target t = rw.options().target();
    return (root.graph().opsetVersion("") >= 20 || t.ortOps() || t.convoyOps())
        && input(root) != null;
  }

  /** The GELU's input {@code x} when {@code root} ends the chain, else null. */
  private static Value input(Node root) {
    List<Value> constants = new ArrayList<>();
    Node mul = chained(root, "Mul", 0.5, constants);
    if (mul == null) {
      return null;
    }
    for (int side = 0; side < 2; side++) {
      Value x = mul.input(side);
      Node add = producerIfSoleUse(mul.input(1 - side), "Add");
      Node erf = add == null ? null : chained(add, "Erf", 1.0, constants);
      Node div = erf == null ? null : producerIfSoleUse(erf.input(0), "Div");
      if (div != null && div.input(0) == x && Matchers.isScalar(div.input(1), SQRT2)) {
        constants.add(div.input(1));
        return constants.stream().allMatch(c -> Matchers.keepsShape(x, c)) ? x : null;
      }
    }
    return null;
  }

  /**
   * For a binary {@code node} with one operand a scalar constant equal to {@code c}, the producer
   * of the other operand when it is an {@code op} read only here; the constant goes to {@code
   * constants}.
   */
  private static Node chained(Node node, String op, double c, List<Value> constants) {
    for (int side = 0; side < 2; side++) {
      if (Matchers.isScalar(node.input(1 - side), c)) {
        Node p = producerIfSoleUse(node.input(side), op);
        if (p != null) {
          constants.add(node.input(1 - side));
          return p;
        }
      }
    }
    return null;
  }

  private static Node producerIfSoleUse(Value v, String op) {
    Match<Node> m = Matchers.soleProducer(v, op);
    return m.ok() ? m.value() : null;
  }

  @Override
  public void rewrite(Node root, Rewriter rw) {
    Value x = input(root);
    boolean onnx = root.graph().opsetVersion("") >= 20;
    String domain = rw.options().target().convoyOps() ? ConvoyFused.DOMAIN : Target.MICROSOFT;
    Node gelu = onnx
        ? rw.insertBefore(root, "Gelu", List.of(x), 1, Map.of(), root.output(0).name())
        : rw.insertBefore(root, domain, 1, "Gelu", List.of(x), 1, Map.of(),
            root.output(0).name());
    gelu.setName(root.name());
    gelu.output(0).setType(root.output(0).type());
    rw.replace(root.output(0), gelu.output(0));
    rw.erase(root);
  }
}

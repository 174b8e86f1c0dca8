package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * A {@code Constant} node becomes an initializer of its graph under the same name, so folding,
 * deduplication and the algebraic rules see its value (a graph output may be an initializer).
 * Sparse constants stay nodes.
 */
public final class ConstantToInitializer implements Rule {
  public static final String NAME = "constant-to-initializer";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Constant");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    return n.output(0) != null && tensor(n) != null;
  }

  /** The constant's value from whichever attribute carries it, or null for sparse values. */
  static Tensor tensor(Node n) {
    for (var e : n.attributes().entrySet()) {
      Attribute a = e.getValue();
      Tensor t =
          switch (e.getKey()) {
            case "value" -> a instanceof Attribute.TensorAttr ta ? ta.value() : null;
            case "value_float" ->
                a instanceof Attribute.FloatAttr f ? Tensor.ofFloats(new long[0], f.value()) : null;
            case "value_floats" ->
                a instanceof Attribute.FloatsAttr f
                    ? Tensor.ofFloats(new long[] {f.values().length}, f.values())
                    : null;
            case "value_int" ->
                a instanceof Attribute.IntAttr i ? Tensor.ofLongs(new long[0], i.value()) : null;
            case "value_ints" ->
                a instanceof Attribute.IntsAttr i
                    ? Tensor.ofLongs(new long[] {i.values().length}, i.values())
                    : null;
            case "value_string" ->
                a instanceof Attribute.StringAttr s
                    ? Tensor.ofStrings(new long[0], new byte[][] {s.value()})
                    : null;
            case "value_strings" ->
                a instanceof Attribute.StringsAttr s
                    ? Tensor.ofStrings(
                        new long[] {s.values().size()}, s.values().toArray(new byte[0][]))
                    : null;
            default -> null;
          };
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.foldToConstants(n, List.of(tensor(n)));
  }
}

package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How one node computes the same result on moved inputs: when its layout inputs carry a
 * permutation {@code p} (the original input is {@code Transpose(moved, p)}), the node rewritten
 * with {@link #attributes} and {@link #constInputs} and reading the moved layout inputs produces
 * outputs that carry {@link #outputPerms}. Layout inputs of lower rank broadcast as ONNX aligns
 * them (trailing dims).
 *
 * @param layoutInputs indexes of the inputs that carry {@code p} (after broadcast alignment)
 * @param attributes the node's attributes on the moved inputs
 * @param constInputs constant inputs replaced (axes, pads), by input index
 * @param outputPerms the permutation each output carries
 */
public record MovedOp(
    List<Integer> layoutInputs, Map<String, Attribute> attributes, Map<Integer, Tensor> constInputs,
    List<long[]> outputPerms) {

  /** The op runs unchanged on moved inputs; every output carries {@code p}. */
  static MovedOp unchanged(Node n, List<Integer> layoutInputs, long[] p) {
    return new MovedOp(layoutInputs, n.attributes(), Map.of(),
        Collections.nCopies(n.outputCount(), p));
  }

  /** {@code n}'s attributes with {@code name} set to {@code value}. */
  static Map<String, Attribute> with(Node n, String name, Attribute value) {
    Map<String, Attribute> a = new HashMap<>(n.attributes());
    a.put(name, value);
    return a;
  }

  /** One int attribute. */
  static Attribute.IntAttr intAttr(long v) {
    return new Attribute.IntAttr(v);
  }
}

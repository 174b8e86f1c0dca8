package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Sibling ops (one input, read alike) and the Split that hands their merged output back. */
final class SiblingSplit {
  private SiblingSplit() {}

  /**
   * The nodes in {@code root}'s graph that read {@code root}'s first input as their own first
   * input and are {@code root}'s siblings by {@code same} (root included), in graph order.
   */
  static List<Node> siblings(Node root, Predicate<Node> same) {
    List<Node> found = new ArrayList<>();
    for (Use u : root.input(0).uses()) {
      Node n = u.node();
      if (u.index() == 0 && n.graph() == root.graph() && !found.contains(n) && same.test(n)) {
        found.add(n);
      }
    }
    List<Node> order = root.graph().nodes();
    found.sort(Comparator.comparingInt(order::indexOf));
    return found;
  }

  /**
   * Splits {@code merged} along {@code axis} into the siblings' outputs (their sizes along it in
   * {@code sizes}), placed before the first sibling; their readers read the parts, and the
   * siblings are erased.
   */
  static void replace(List<Node> siblings, Value merged, long[] sizes, int axis, Rewriter rw) {
    Node anchor = siblings.get(0);
    var graph = anchor.graph();
    List<Value> inputs = new ArrayList<>(List.of(merged));
    Map<String, Attribute> attrs;
    if (graph.opsetVersion("") >= 13) {
      inputs.add(rw.constant(graph, Tensor.ofLongs(new long[] {sizes.length}, sizes),
          merged.name() + "_split"));
      attrs = Map.of("axis", new Attribute.IntAttr(axis));
    } else {
      attrs = Map.of("axis", new Attribute.IntAttr(axis), "split", new Attribute.IntsAttr(sizes));
    }
    Node split = rw.insertBefore(anchor, "Split", inputs, siblings.size(), attrs,
        merged.name() + "_part");
    rw.setName(split, anchor.name() + "_split");
    for (int i = 0; i < siblings.size(); i++) {
      Value old = siblings.get(i).output(0);
      rw.setType(split.output(i), old.type());
      rw.replace(old, split.output(i));
    }
    siblings.forEach(rw::erase);
  }
}

package dev.convoy.transforms.verify;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.transforms.optimize.layout.IoLayout;
import java.util.List;
import java.util.Map;

/**
 * An {@code --io-layout nhwc} artifact as the model it came from is called, for comparing the two:
 * a copy whose inputs named NHWC in its metadata ({@link IoLayout#KEY}) are read through a
 * Transpose from NCHW and whose NHWC outputs are returned through a Transpose to NCHW, under the
 * same names, the graph between as it is. The verifier then feeds the NHWC graph the transposed
 * seeded inputs and compares its outputs transposed back.
 */
public final class NchwView {
  private static final long[] NCHW_TO_NHWC = {0, 2, 3, 1};
  private static final long[] NHWC_TO_NCHW = {0, 3, 1, 2};

  private NchwView() {}

  /** {@code g} with an NCHW interface; {@code g} itself when its I/O layout never changed. */
  public static Graph of(Graph g) {
    IoLayout.Changed c = IoLayout.changed(g);
    if (c.isEmpty()) {
      return g;
    }
    Graph view = g.copy();
    // The stored arena plan names the NHWC graph's values; the view runs unplanned.
    view.metadata().remove(MemoryPlanCodec.KEY);
    view.metadata().remove(IoLayout.KEY);
    Node first = view.nodes().isEmpty() ? null : view.nodes().get(0);
    for (String name : c.inputs()) {
      Value x = view.inputs().stream().filter(v -> v.name().equals(name)).findFirst()
          .orElseThrow(() -> missing("input", name));
      List<Use> readers = List.copyOf(x.uses());
      x.setType(new ValueType.TensorType(x.tensorType().dtype(),
          IoLayout.permuted(x.tensorType().shape(), NHWC_TO_NCHW)));
      List<String> out = List.of(view.uniqueName(name + "_nhwc"));
      Map<String, Attribute> perm = Map.of("perm", new Attribute.IntsAttr(NCHW_TO_NHWC));
      Node t = first == null ? view.addNode("", "Transpose", List.of(x), out, perm)
          : view.addNodeBefore(first, "", "Transpose", List.of(x), out, perm);
      for (Use u : readers) {
        u.node().setInput(u.index(), t.output(0));
      }
    }
    for (String name : c.outputs()) {
      int i = indexOf(view.outputs(), name);
      Value y = view.outputs().get(i);
      y.rename(view.uniqueName(name + "_nhwc"));
      Node t = view.addNode("", "Transpose", List.of(y), List.of(name),
          Map.of("perm", new Attribute.IntsAttr(NHWC_TO_NCHW)));
      view.setOutput(i, t.output(0));
    }
    ShapeInference.infer(view);
    return view;
  }

  private static int indexOf(List<Value> outputs, String name) {
    for (int i = 0; i < outputs.size(); i++) {
      if (outputs.get(i).name().equals(name)) {
        return i;
      }
    }
    throw missing("output", name);
  }

  private static InvalidModelException missing(String what, String name) {
    return new InvalidModelException("metadata " + IoLayout.KEY + " names " + what + " '" + name
        + "', which the graph does not have");
  }
}

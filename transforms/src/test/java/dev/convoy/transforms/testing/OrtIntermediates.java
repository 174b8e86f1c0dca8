package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.OrtVerifier;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every value of a graph as ONNX Runtime computes it: the graph is run with each top-level node
 * output exposed as a graph output, so that a test can feed a single kernel ORT's own inputs and
 * compare it with ORT's output, where no error accumulated upstream.
 */
public final class OrtIntermediates {
  private OrtIntermediates() {}

  /** The inputs, every node output ORT computes from them, and the initializers, by name. */
  public static Map<String, Tensor> everyValue(OrtVerifier ort, Graph g,
      Map<String, Tensor> inputs) {
    Graph exposed = g.copy();
    List<String> outputs = exposed.outputs().stream().map(Value::name).toList();
    for (Node n : exposed.nodes()) {
      for (Value v : n.outputs()) {
        if (v != null && !outputs.contains(v.name())) {
          exposed.addOutput(v);
        }
      }
    }
    Map<String, Tensor> values = new HashMap<>(inputs);
    values.putAll(ort.run(OnnxExporter.toBytes(exposed), inputs));
    for (Value init : g.initializers()) {
      values.put(init.name(), init.constant());
    }
    return values;
  }
}

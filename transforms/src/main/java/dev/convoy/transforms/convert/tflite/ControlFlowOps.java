package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.IfOptions;
import org.tensorflow.lite.schema.WhileOptions;

/**
 * WHILE and IF, whose bodies are other subgraphs of the model, as ONNX Loop and If with those
 * subgraphs emitted into the node's body graphs. A WHILE's condition subgraph runs once on the
 * initial values (the Loop's first condition) and again at the end of every body iteration.
 */
final class ControlFlowOps {
  private ControlFlowOps() {}

  static void whileLoop(Op op) {
    WhileOptions o = op.options(new WhileOptions());
    if (o == null) {
      throw op.unsupported("has no WhileOptions");
    }
    Emitter outer = op.e;
    List<Value> init = new ArrayList<>();
    for (int i = 0; i < op.inputCount(); i++) {
      init.add(outer.raw(op.required(i)));
    }
    Value firstCond = scalarBool(outer,
        new Emitter(outer.file, outer.g, o.condSubgraphIndex()).emit(init).get(0));

    Graph body = outer.g.newSubgraph("while_body_" + o.bodySubgraphIndex());
    body.addInput(outer.g.uniqueName("iteration"), ValueType.TensorType.of(DType.INT64));
    body.addInput(outer.g.uniqueName("cond_in"), ValueType.TensorType.of(DType.BOOL));
    Emitter bodyEmitter = new Emitter(outer.file, body, o.bodySubgraphIndex());
    List<Value> carried = new ArrayList<>();
    for (int i = 0; i < init.size(); i++) {
      carried.add(body.addInput(outer.g.uniqueName(outer.tensorName(op.in(i)) + "_loop"),
          declared(outer, op.in(i))));
    }
    List<Value> next = bodyEmitter.emit(carried);
    Value cond = scalarBool(bodyEmitter,
        new Emitter(outer.file, body, o.condSubgraphIndex()).emit(next).get(0));
    body.addOutput(cond);
    next.forEach(body::addOutput);

    List<Value> ins = new ArrayList<>();
    ins.add(null);
    ins.add(firstCond);
    ins.addAll(init);
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("body", new Attribute.GraphAttr(body));
    List<Value> outs = outer.nodeN("Loop", ins, attrs, init.size(), "while");
    for (int i = 0; i < outs.size() && i < op.outputCount(); i++) {
      outer.bind(op.out(i), outs.get(i));
    }
  }

  static void ifThenElse(Op op) {
    IfOptions o = op.options(new IfOptions());
    if (o == null) {
      throw op.unsupported("has no IfOptions");
    }
    Emitter outer = op.e;
    Value cond = scalarBool(outer, outer.val(op.required(0)));
    List<Value> args = new ArrayList<>();
    for (int i = 1; i < op.inputCount(); i++) {
      args.add(outer.raw(op.required(i)));
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("then_branch", new Attribute.GraphAttr(branch(outer, o.thenSubgraphIndex(), args)));
    attrs.put("else_branch", new Attribute.GraphAttr(branch(outer, o.elseSubgraphIndex(), args)));
    List<Value> outs = outer.nodeN("If", List.of(cond), attrs, op.outputCount(), "if");
    for (int i = 0; i < outs.size(); i++) {
      outer.bind(op.out(i), outs.get(i));
    }
  }

  /** A branch graph that reads the If's operands from the enclosing graph by reference. */
  private static Graph branch(Emitter outer, int subgraph, List<Value> args) {
    Graph g = outer.g.newSubgraph("branch_" + subgraph);
    Emitter e = new Emitter(outer.file, g, subgraph);
    List<Value> outs = e.emit(args);
    for (Value v : outs) {
      // A branch output must be produced inside the branch, even when it is an operand.
      g.addOutput(v.owner() == g && v.producer() != null ? v
          : e.node("Identity", List.of(v), Map.of(), null));
    }
    return g;
  }

  private static Value scalarBool(Emitter e, Value v) {
    Value b = e.cast(v, DType.BOOL);
    return e.node("Reshape", List.of(b, e.constLongs(new long[0])), Map.of(), null);
  }

  private static ValueType declared(Emitter e, int tensor) {
    return new ValueType.TensorType(e.dtype(tensor), e.declaredShape(tensor, Map.of()));
  }
}

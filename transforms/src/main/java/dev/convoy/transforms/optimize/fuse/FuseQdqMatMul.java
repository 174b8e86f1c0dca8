package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A QDQ MatMul group, {@code QuantizeLinear(MatMul(DequantizeLinear(a), DequantizeLinear(b)))},
 * becomes the standard {@code QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)}
 * (opset 10) on every target, as ONNX Runtime's QDQ selector does at EXTENDED: the product of the
 * 8-bit values accumulates exactly in integers and is requantized once. a and y are per tensor;
 * b per tensor, or per column when it is a matrix quantized along its last axis (QLinearMatMul's
 * 1-D {@code b_scale} of N). The types are ONNX Runtime's kernels' (uint8 a with uint8 or int8 b,
 * or int8 a and b; y of a's type) and every scale is float32 (QLinearMatMul's only scale type
 * before opset 21). Either operand may be an activation.
 *
 * <p>The float MatMul of the QDQ graph and the integer one differ only in float32 rounding before
 * requantization, which can move an output by one quantization step where the float value sits
 * next to a rounding tie. {@code QdqMatMulRequantizationTest} measures how often on seeded random
 * groups against ONNX Runtime on the QDQ graph.
 */
public final class FuseQdqMatMul implements MatchingRule<FuseQdqMatMul.Found> {
  public static final String NAME = "fuse-qdq-matmul";

  /** The MatMul and the dequantizations of its two operands. */
  public record Found(Node matmul, Node dqa, Node dqb) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Found> match(Node q, Rewriter rw) {
    if (q.graph().opsetVersion("") < 10) {
      return Match.fail("QLinearMatMul needs opset 10");
    }
    Match<QuantParams> pq = QdqOperands.outputOf(q, "MatMul", "");
    if (!pq.ok()) {
      return pq.cast();
    }
    Node mm = q.input(0).producer();
    Match<QdqOperands.Operands> ops = QdqOperands.dequantizedOperands(mm);
    if (!ops.ok()) {
      return ops.cast();
    }
    Node dqa = ops.value().dqa();
    Node dqb = ops.value().dqb();
    String types = QdqOperands.kernelTypesProblem(mm, ops.value().a().type(),
        ops.value().b().type(), pq.value().type());
    if (types != null) {
      return Match.fail(types);
    }
    String perColumn = ops.value().b().perTensor() ? null
        : perColumnProblem(dqb, ops.value().b());
    if (perColumn != null) {
      return Match.fail(perColumn);
    }
    for (Node n : List.of(dqa, dqb, q)) {
      if (Facts.dtype(n.input(1)) != DType.FLOAT) {
        return Match.fail(n.opType() + " " + n.name() + " has a scale that is not float32");
      }
    }
    return Match.of(new Found(mm, dqa, dqb));
  }

  /** Why b's per-axis parameters are not one scale per column of a matrix, or null. */
  private static String perColumnProblem(Node dqb, QuantParams b) {
    int rank = Facts.rank(dqb.input(0));
    long axis = dqb.intAttr("axis", 1);
    long columns = Facts.lastDim(dqb.input(0));
    if (rank != 2 || (axis != 1 && axis != -1) || b.scales().length != columns
        || b.zeroPoints().length != columns) {
      return "DequantizeLinear " + dqb.name() + " is per axis " + axis
          + " but not per column of a matrix (QLinearMatMul's b_scale is per tensor or per"
          + " column)";
    }
    return null;
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    List<Value> inputs = new ArrayList<>();
    QdqOperands.addQuantization(inputs, f.dqa(), rw);
    QdqOperands.addQuantization(inputs, f.dqb(), rw);
    inputs.add(q.input(1));
    inputs.add(QdqOperands.zeroPoint(q, Facts.dtype(q.output(0)), rw));
    rw.fuse(q, List.of(q, f.matmul()), "", q.graph().opsetVersion(""), "QLinearMatMul", inputs,
        Map.<String, Attribute>of(), f.matmul().name(), List.of(q.output(0)));
  }
}

package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;

/**
 * A node ONNX Runtime loads at the graph's opset and would refuse at the target one (an op and type
 * it runs only through the op's ONNX function body, which ONNX accepts at a few opsets only); the
 * conversion is refused rather than write a model ONNX Runtime cannot load. Carries the op, its
 * element type and both opsets so that a caller can check the claim against ONNX Runtime itself.
 */
public final class OrtOpsetGapException extends OpsetConversionException {
  private final String op;
  private final DType dtype;
  private final long from;
  private final int target;

  OrtOpsetGapException(Node n, DType dtype, long from, int target, int first, int last) {
    super(n + ": cannot convert " + dtype.textName() + " " + n.opType() + " from opset " + from
        + " to " + target + ": ONNX Runtime 1.28 has no " + dtype.textName() + " " + n.opType()
        + " kernel and runs it only at opset" + (first == last ? " " + first
        : "s " + first + " to " + last) + " (through the op's ONNX function body), so the"
        + " converted model would not load");
    this.op = n.opType();
    this.dtype = dtype;
    this.from = from;
    this.target = target;
  }

  /** The op type ONNX Runtime would refuse. */
  public String op() {
    return op;
  }

  /** The element type of its first input. */
  public DType dtype() {
    return dtype;
  }

  /** The graph's opset, at which ONNX Runtime loads the op. */
  public long from() {
    return from;
  }

  /** The requested opset, at which it would not. */
  public int target() {
    return target;
  }
}

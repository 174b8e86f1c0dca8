package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * How one default-domain op changes its signature at one opset: {@link #up} turns a node of
 * opset {@code version() - 1} into its equivalent at {@code version()}, {@link #down} the other
 * way, throwing {@link OpsetConversionException} when the older version cannot express the node.
 * Changes go through the {@link Rewriter}.
 */
interface Adapter {
  /** The op type a node has before going up. */
  String op();

  /** The op type a node has before going down (another when the op was renamed). */
  default String downOp() {
    return op();
  }

  int version();

  void up(Node n, Rewriter rw);

  void down(Node n, Rewriter rw);

  /** The error for a node the target version cannot express. */
  static OpsetConversionException cannot(Node n, int toVersion, String why) {
    return new OpsetConversionException(
        n + ": cannot convert " + n.opType() + " to opset " + toVersion + ": " + why);
  }
}

package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Converts a graph's default-domain opset up or down one version at a time, like ONNX's version
 * converter: at each version every node whose op changes its signature there is rewritten by its
 * {@link Adapter}; afterwards every default-domain node must be an op that exists at the target
 * (a newer op going down, or an op Convoy does not know, is refused). Other domains are left as
 * they are. Converting from below opset {@value #MIN_SOURCE} (the broadcast attributes) is refused,
 * and so is a node ONNX Runtime loads at the graph's opset but not at the target ({@link
 * OrtOpsetWindows}: float64 LeakyRelu, say), before anything changes.
 */
public final class OpsetConverter {
  /** The oldest default-domain opset a graph may be converted from. */
  public static final int MIN_SOURCE = 7;

  /** The newest default-domain opset Convoy converts to. */
  public static final int MAX_TARGET = 26;

  private OpsetConverter() {}

  /**
   * Converts {@code top} in place to default-domain opset {@code target}; returns the number of
   * node changes (0 when the graph is already at the target).
   */
  public static int convert(Graph top, int target, Rewriter rw) {
    long from = top.opsetVersion("");
    if (target < MIN_SOURCE || target > MAX_TARGET) {
      throw new OpsetConversionException("cannot convert to opset " + target + ": Convoy converts"
          + " the default domain between opsets " + MIN_SOURCE + " and " + MAX_TARGET);
    }
    if (from == target) {
      return 0;
    }
    if (from < MIN_SOURCE) {
      throw new OpsetConversionException("cannot convert from opset " + from + " (older than "
          + MIN_SOURCE + ") to " + target);
    }
    OrtOpsetWindows.requireLoadableAt(top, from, target);
    int changes = 0;
    if (target > from) {
      for (int v = (int) from + 1; v <= target; v++) {
        changes += step(top, v, true, rw);
      }
    } else {
      for (int v = (int) from; v > target; v--) {
        changes += step(top, v, false, rw);
      }
    }
    setOpset(top, target, rw);
    requireOpsExist(top, target);
    return changes;
  }

  /** Applies the adapters of {@code version}: up from {@code version - 1}, or down from it. */
  private static int step(Graph top, int version, boolean up, Rewriter rw) {
    List<Node> nodes = new ArrayList<>();
    top.forEachNode(nodes::add);
    int changes = 0;
    for (Node n : nodes) {
      if (!OpCatalog.normalizeDomain(n.domain()).isEmpty()) {
        continue;
      }
      String op = n.opType();
      if (!up) {
        requireTypesOlderVersionsAccept(n, version);
      }
      for (Adapter a : Adapters.ALL) {
        if (a.version() == version && (up ? a.op() : a.downOp()).equals(op)) {
          if (up) {
            a.up(n, rw);
          } else {
            a.down(n, rw);
          }
          changes++;
        }
      }
    }
    return changes;
  }

  /**
   * Going down, a node must only use types every earlier version (from 7) of its op accepted.
   * Versions widen their type lists (int8 Add at 14, integer Max at 12, bfloat16 at 13, float
   * Equal at 11...) and Convoy's catalog does not record them per version, so this keeps to types
   * known to be accepted throughout and refuses the rest rather than write a model a runtime
   * rejects: the data of arithmetic ops float32 or float64 (and int32/int64 for the four basic
   * operations), other ops' tensors of the common types.
   */
  private static void requireTypesOlderVersionsAccept(Node n, int version) {
    String op = n.opType();
    boolean basic = BASIC_ARITHMETIC.contains(op);
    boolean arithmetic = basic || FLOAT_ARITHMETIC.contains(op);
    List<Value> values = new ArrayList<>();
    if (arithmetic) {
      values.add(n.input(0));
      values.add(n.output(0));
      if (op.equals("Pow") || basic) {
        values.add(n.input(1));
      }
    } else if (!op.equals("Constant")) {
      values.addAll(n.inputs());
      values.addAll(n.outputs());
    }
    for (Value v : values) {
      if (v == null) {
        continue;
      }
      DType t = v.tensorType() == null ? null : v.tensorType().dtype();
      boolean ok = t == DType.FLOAT || t == DType.DOUBLE
          || basic && (t == DType.INT32 || t == DType.INT64)
          || !arithmetic && t != null && COMMON.contains(t) && !(op.equals("Equal") && t == DType.FLOAT
              && version <= 11);
      if (!ok) {
        throw new OpsetConversionException(n + ": cannot convert " + op + " to opset "
            + (version - 1) + ": " + v.name() + " is of type "
            + (t == null ? "unknown" : t.textName()) + ", which opset " + (version - 1) + "'s "
            + op + " may not accept");
      }
    }
  }

  private static final Set<String> BASIC_ARITHMETIC = Set.of("Add", "Sub", "Mul", "Div");

  /** Ops whose versions before their type widening accept floating-point data only. */
  private static final Set<String> FLOAT_ARITHMETIC = Set.of("Pow", "Max", "Min", "Sum", "Mean",
      "Clip", "Neg", "Abs", "Relu", "Sign", "MaxPool", "AveragePool", "IsInf", "IsNaN", "Less",
      "Greater", "LessOrEqual", "GreaterOrEqual", "ReduceMax", "ReduceMin", "ReduceMean",
      "ReduceProd", "Gemm", "MatMul");

  /** Element types other ops have accepted since opset 7. */
  private static final Set<DType> COMMON = Set.of(DType.FLOAT, DType.DOUBLE, DType.INT64,
      DType.INT32, DType.BOOL, DType.INT8, DType.UINT8);

  private static void setOpset(Graph g, int version, Rewriter rw) {
    if (g.isTopLevel() || g.opsets().containsKey("")) {
      rw.setOpsetImport(g, "", version);
    }
    rw.removeOpsetImport(g, "ai.onnx");
    for (Node n : g.nodes()) {
      for (Graph sub : n.subgraphs()) {
        setOpset(sub, version, rw);
      }
    }
  }

  private static void requireOpsExist(Graph top, int version) {
    OpCatalog catalog = OpCatalog.standard();
    top.forEachNode(n -> {
      if (OpCatalog.normalizeDomain(n.domain()).isEmpty()) {
        OpDef d = catalog.find("", n.opType(), version);
        if (d == null) {
          throw new OpsetConversionException(n + ": cannot convert " + n.opType() + " to opset "
              + version + ": the op does not exist there"
              + (catalog.knows("", n.opType()) ? "" : " (or Convoy does not know it)"));
        }
      }
    });
  }
}

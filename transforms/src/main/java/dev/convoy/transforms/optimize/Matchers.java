package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;

/**
 * The pieces every fusion's matcher needs, written once: a producer that feeds only the pattern
 * (sole use, not a graph output), the constant operand of a commutative or ordered binary op, and
 * one-element float constants with their value, each failing with a reason a test can assert.
 */
public final class Matchers {
  private Matchers() {}

  /** Relative tolerance for a constant matched against an exact value written in float32. */
  public static final double CONSTANT_RTOL = 1e-6;

  /**
   * The producer of {@code v} when it is an {@code op} whose output feeds only one node of the
   * pattern (not a graph output, one reader); else a failure naming the problem.
   */
  public static Match<Node> soleProducer(Value v, String op) {
    Node p = v == null ? null : v.producer();
    if (p == null || !p.is(op) || !p.domain().isEmpty()) {
      return Match.fail((v == null ? "an input" : v.name()) + " is not produced by " + op);
    }
    String notSole = notSoleUse(v, 1);
    return notSole == null ? Match.of(p) : Match.fail(notSole);
  }

  /**
   * Whether optional output {@code k} of {@code n} exists and is read (by a node or as a graph
   * output): a MaxPool's indices, say, which a fusion that drops them must leave alone.
   */
  public static boolean outputRead(Node n, int k) {
    Value v = k < n.outputCount() ? n.output(k) : null;
    return v != null && (v.hasUses() || v.isGraphOutput());
  }

  /**
   * Why a rule that writes an NCHW {@code convoy} op may not fire here, or null: the target has
   * no convoy ops, or the level is O3, whose layout pass converts what the rule would take
   * ({@code o3}, the rule's own words for that).
   */
  public static String notNchwConvoy(Rewriter rw, String o3) {
    if (!rw.options().target().convoyOps()) {
      return "the target has no convoy ops";
    }
    return rw.options().level() == Level.O3 ? o3 : null;
  }

  /** Whether {@code n} is a default-domain Conv or a {@code convoy::FusedConv}. */
  public static boolean convOrFusedConv(Node n) {
    return n.is("Conv")
        || n.domain().equals(OpCatalog.CONVOY_DOMAIN) && n.opType().equals("FusedConv");
  }

  /** Null when {@code v} has exactly {@code readers} readers and is no graph output, else why. */
  public static String notSoleUse(Value v, int readers) {
    if (v.isGraphOutput()) {
      return v.name() + " is a graph output";
    }
    if (v.uses().size() != readers) {
      return v.name() + " has another consumer";
    }
    return null;
  }

  /**
   * The index of the operand of binary {@code n} that is a one-element float constant: either
   * side when {@code commutative}, else only the right one; -1 when none is.
   */
  public static int scalarSide(Node n, boolean commutative) {
    if (scalar(n.input(1)) != null) {
      return 1;
    }
    return commutative && scalar(n.input(0)) != null ? 0 : -1;
  }

  /** The value of a one-element floating-point constant, or null. */
  public static Double scalar(Value v) {
    Tensor t = v == null ? null : v.constant();
    if (t == null || t.numElements() != 1 || !t.dtype().isFloatingPoint()) {
      return null;
    }
    return t.toDoubleArray()[0];
  }

  /** Whether {@code v} is a one-element float constant equal to {@code c} (float32 rounding). */
  public static boolean isScalar(Value v, double c) {
    Double x = scalar(v);
    return x != null && Math.abs(x - c) <= CONSTANT_RTOL * Math.max(1, Math.abs(c));
  }

  /**
   * Whether broadcasting {@code x} with the constant {@code c} yields {@code x}'s type, so that a
   * fused op of {@code x}'s shape keeps the output's shape.
   */
  public static boolean keepsShape(Value x, Value c) {
    Tensor t = c.constant();
    return t != null && (t.rank() == 0 && t.dtype() == Facts.dtype(x)
        || Facts.broadcastKeeps(x, c));
  }
}

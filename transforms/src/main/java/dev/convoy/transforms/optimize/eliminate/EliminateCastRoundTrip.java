package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Cast(Cast(x: A, to=B), to=A)} is {@code x} when B holds every value of A exactly (float
 * to double, int8 to float, int32 to int64, bool to any number...). A narrowing B (float to
 * float16, int32 to float) can lose values, so those chains stay.
 */
public final class EliminateCastRoundTrip implements Forwarding {
  public static final String NAME = "eliminate-cast-round-trip";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Cast");
  }

  @Override
  public Match<Value> same(Node outer) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    if (inner == null || !inner.is("Cast")) {
      return Match.fail("the input is not produced by Cast");
    }
    Value x = inner.input(0);
    DType a = Facts.dtype(x);
    if (a == null || a.onnxCode() != outer.intAttr("to", -1)) {
      return Match.fail("the outer Cast does not go back to " + x.name() + "'s type");
    }
    DType b;
    try {
      b = DType.fromOnnx((int) inner.intAttr("to", a.onnxCode()));
    } catch (ConvoyException e) {
      return Match.fail("the inner Cast's type is unknown");
    }
    return holdsAll(b, a) ? Match.of(x) : Match.fail(b + " does not hold every " + a);
  }

  /** Whether every value of {@code a} is exactly representable in {@code b}. */
  public static boolean holdsAll(DType b, DType a) {
    if (a == b || a == DType.BOOL) {
      return b != DType.STRING && b.isSupported();
    }
    int bits = mantissaOrValueBits(b);
    if (a.isInteger()) {
      if (b.isInteger()) {
        boolean signFits = !a.isSigned() || b.isSigned();
        int need = a.byteSize() * 8 - (a.isSigned() ? 1 : 0) + (b.isSigned() ? 1 : 0);
        return signFits && b.byteSize() * 8 >= need;
      }
      return b.isFloatingPoint() && bits >= a.byteSize() * 8 - (a.isSigned() ? 1 : 0);
    }
    return switch (a) {
      case FLOAT16, BFLOAT16 -> b == DType.FLOAT || b == DType.DOUBLE;
      case FLOAT -> b == DType.DOUBLE;
      default -> false;
    };
  }

  /** Bits of integer magnitude a type represents exactly (float: 24, double: 53). */
  private static int mantissaOrValueBits(DType t) {
    return switch (t) {
      case FLOAT16 -> 11;
      case BFLOAT16 -> 8;
      case FLOAT -> 24;
      case DOUBLE -> 53;
      default -> t.byteSize() * 8 - (t.isSigned() ? 1 : 0);
    };
  }
}

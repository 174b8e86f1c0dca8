package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Pow(x, 1)} is {@code x}. The exponent may have another dtype than {@code x} (the output
 * takes x's), so only its shape has to broadcast into x's.
 */
public final class EliminatePowOne implements Forwarding {
  public static final String NAME = "eliminate-pow-one";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Pow");
  }

  @Override
  public Match<Value> same(Node n) {
    Value x = n.input(0);
    Value e = n.input(1);
    if (x == null || e == null || !Facts.isAll(e.constant(), 1.0)) {
      return Match.fail("the exponent is not a constant all 1");
    }
    long[] ed = e.constant().dims();
    int xr = Facts.rank(x);
    if (xr < ed.length) {
      return Match.fail("the exponent broadcasts the base to a higher rank");
    }
    long[] xd = Facts.staticDims(x);
    for (int i = 0; i < ed.length; i++) {
      if (ed[i] != 1 && (xd == null || xd[xr - ed.length + i] != ed[i])) {
        return Match.fail("the exponent may broadcast the base");
      }
    }
    return Match.of(x);
  }
}

package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pulls a Transpose up above the op that produces its input when that op's inputs are constants
 * or Transposes: the op then reads permuted constants (a DequantizeLinear of int8 weights keeps its
 * weights int8, with its axis following) and the Transposes above merge or cancel. It fires only
 * when it removes more Transposes than it adds. Sinking ({@link SinkTranspose}) already cancels a
 * Transpose against the ones above a region; this covers the other case, a Transpose under
 * constant-fed ops, which ONNX Runtime's transpose optimizer also hoists over DequantizeLinear.
 */
public final class HoistTranspose implements MatchingRule<HoistTranspose.Hoist> {
  public static final String NAME = "hoist-transpose";

  /**
   * What the rule found.
   *
   * @param producer the op the Transpose reads
   * @param moved how the producer runs on inputs moved by the inverse permutation
   * @param perm the Transpose's permutation
   */
  public record Hoist(Node producer, MovedOp moved, long[] perm) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  @Override
  public Match<Hoist> match(Node t, Rewriter rw) {
    long[] p = Perms.of(t);
    String name = t.output(0).name();
    if (p == null) {
      return Match.fail(name + " has no explicit permutation");
    }
    Value v = t.input(0);
    Node c = v.producer();
    if (c == null || c.outputCount() != 1 || Rewriter.soleConsumer(v) != t) {
      return Match.fail(v.name() + " is not produced for this Transpose alone");
    }
    long[] inverse = Perms.inverse(p);
    MovedOp m = MovableOps.move(c, inverse);
    if (m == null || !Facts.isIdentityPermutation(Perms.compose(m.outputPerms().get(0), p))) {
      return Match.fail(c.opType() + " " + v.name() + " cannot run on transposed inputs");
    }
    int net = -1;
    for (int i : m.layoutInputs()) {
      Value in = c.input(i);
      if (in == null || Facts.rank(in) == 0) {
        continue;
      }
      if (in.constant() != null) {
        if (!Perms.canPermute(in.constant()) || in.constant().rank() > p.length) {
          return Match.fail(in.name() + " cannot be permuted");
        }
        continue;
      }
      long[] q = in.producer() == null ? null : Perms.of(in.producer());
      if (q == null || q.length != p.length) {
        return Match.fail(in.name() + " is neither a constant nor a Transpose");
      }
      net += Facts.isIdentityPermutation(Perms.compose(q, p)) ? 0 : 1;
      net -= Rewriter.soleConsumer(in) == c ? 1 : 0;
    }
    if (net >= 0) {
      return Match.fail("hoisting " + name + " removes no Transpose");
    }
    return Match.of(new Hoist(c, m, p));
  }

  @Override
  public void apply(Node t, Hoist h, Rewriter rw) {
    Node c = h.producer();
    long[] inverse = Perms.inverse(h.perm());
    List<Value> inputs = new ArrayList<>(c.inputs());
    int width = h.moved().constInputs().keySet().stream().mapToInt(i -> i + 1).max().orElse(0);
    while (inputs.size() < width) {
      inputs.add(null);
    }
    Set<Node> feeders = new LinkedHashSet<>();
    for (int i : h.moved().layoutInputs()) {
      Value in = c.input(i);
      if (in == null || Facts.rank(in) == 0) {
        continue;
      }
      if (in.constant() != null) {
        inputs.set(i, rw.constant(t.graph(), Perms.moveConstant(in.constant(), inverse),
            in.name() + "_hoisted"));
        continue;
      }
      Node feeder = in.producer();
      feeders.add(feeder);
      long[] r = Perms.compose(Perms.of(feeder), h.perm());
      if (Facts.isIdentityPermutation(r)) {
        inputs.set(i, feeder.input(0));
      } else {
        Node n = rw.insertBefore(c, "Transpose", List.of(feeder.input(0)), 1,
            Map.of("perm", new Attribute.IntsAttr(r)), in.name() + "_hoisted");
        rw.inferTypes(n);
        inputs.set(i, n.output(0));
      }
    }
    for (Map.Entry<Integer, Tensor> e : h.moved().constInputs().entrySet()) {
      inputs.set(e.getKey(), rw.constant(t.graph(), e.getValue(), c.output(0).name() + "_axes"));
    }
    Node moved = rw.insertBefore(c, c.opType(), inputs, 1, h.moved().attributes(),
        t.output(0).name() + "_hoisted");
    rw.setName(moved, c.name());
    rw.inferTypes(moved);
    rw.replaceNode(t, List.of(moved.output(0)));
    rw.erase(c);
    for (Node f : feeders) {
      if (!f.output(0).hasUses()) {
        rw.erase(f);
      }
    }
  }
}

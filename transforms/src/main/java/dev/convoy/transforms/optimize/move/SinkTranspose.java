package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pushes a Transpose down through the ops below it that can run on the un-transposed data
 * (elementwise, Q/DQ, reductions, Concat/Split, Pad, Slice, Softmax, Squeeze/Unsqueeze and
 * Reshapes that only add or drop 1s; {@link MovableOps}) until it cancels against the Transposes
 * it meets or merges into them, as ONNX Runtime's transpose optimizer does. Inputs joining the
 * region are moved too: constants are permuted, Transposes feeding it cancel or merge, anything
 * else gets the inverse Transpose. It fires only when the region it picks ({@link SinkPlan})
 * leaves strictly fewer Transposes, so the count never grows and a move that cancels nothing is
 * never made.
 */
public final class SinkTranspose implements MatchingRule<SinkPlan> {
  public static final String NAME = "sink-transpose";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  @Override
  public Match<SinkPlan> match(Node root, Rewriter rw) {
    return SinkPlan.of(root);
  }

  @Override
  public void apply(Node root, SinkPlan plan, Rewriter rw) {
    new Application(plan, rw).run();
  }

  /** One application of a plan: the moved copies, the Transposes at the region's edges. */
  private static final class Application {
    private final SinkPlan plan;
    private final Rewriter rw;
    private final Graph g;
    private final Map<Value, Value> moved = new IdentityHashMap<>();
    private final Map<String, Value> entries = new HashMap<>();
    private final Set<Node> feeders = new LinkedHashSet<>();

    Application(SinkPlan plan, Rewriter rw) {
      this.plan = plan;
      this.rw = rw;
      this.g = plan.seed.graph();
      moved.put(plan.seed.output(0), plan.seed.input(0));
    }

    void run() {
      List<Node> order = plan.membersInOrder();
      for (Node c : order) {
        MovedOp m = plan.moves.get(c);
        if (m == null) {
          moved.put(c.output(0), moved.get(c.input(0)));
        } else {
          copy(c, m);
        }
      }
      for (Node c : order) {
        for (Value out : c.outputs()) {
          if (out != null && out.hasUses() && !plan.onlyReadByMembers(out)) {
            exit(c, out);
          }
        }
      }
      for (int i = order.size() - 1; i >= 0; i--) {
        rw.erase(order.get(i));
      }
      if (!plan.seed.output(0).hasUses()) {
        rw.erase(plan.seed);
      }
      for (Node f : feeders) {
        if (!f.output(0).hasUses()) {
          rw.erase(f);
        }
      }
    }

    /** The member {@code c} as a new node on moved inputs, placed right before it. */
    private void copy(Node c, MovedOp m) {
      long[] in = plan.required.get(c);
      List<Value> inputs = new ArrayList<>(c.inputs());
      int width = m.constInputs().keySet().stream().mapToInt(i -> i + 1).max().orElse(0);
      while (inputs.size() < width) {
        inputs.add(null);
      }
      for (int i : m.layoutInputs()) {
        inputs.set(i, entry(c, c.input(i), in));
      }
      for (Map.Entry<Integer, Tensor> e : m.constInputs().entrySet()) {
        inputs.set(e.getKey(), rw.constant(g, e.getValue(), c.output(0).name() + "_axes"));
      }
      Node n = rw.insertBefore(
          c, c.opType(), inputs, c.outputCount(), m.attributes(), c.output(0).name() + "_moved");
      rw.setName(n, c.name());
      rw.inferTypes(n);
      for (int k = 0; k < c.outputCount(); k++) {
        moved.put(c.output(k), n.output(k));
      }
    }

    /** Input {@code v} of member {@code c} as the moved op reads it. */
    private Value entry(Node c, Value v, long[] in) {
      Value inside = moved.get(v);
      if (inside != null) {
        return inside;
      }
      if (Facts.rank(v) == 0) {
        return v;
      }
      String key = v.name() + Arrays.toString(in);
      Value done = entries.get(key);
      if (done != null) {
        return done;
      }
      Value out;
      if (v.constant() != null) {
        out = rw.constant(g, Perms.moveConstant(v.constant(), in), v.name() + "_moved");
      } else {
        long[] q = v.producer() == null ? null : Perms.of(v.producer());
        long[] inverse = Perms.inverse(in);
        if (q != null && q.length == in.length) {
          feeders.add(v.producer());
          long[] r = Perms.compose(q, inverse);
          out = Facts.isIdentityPermutation(r) ? v.producer().input(0)
              : transpose(c, v.producer().input(0), r, v.name() + "_moved");
        } else {
          out = transpose(c, v, inverse, v.name() + "_moved");
        }
      }
      entries.put(key, out);
      return out;
    }

    /** Gives the readers outside the region the original of {@code out} back. */
    private void exit(Node c, Value out) {
      long[] q = plan.perms.get(out);
      Value inner = moved.get(out);
      Value back;
      if (Facts.isIdentityPermutation(q)) {
        back = inner;
      } else if (SinkPlan.keepsDataOrder(out, q)) {
        long[] dims = Facts.staticDims(out);
        Value shape = rw.constant(g, Tensor.ofLongs(new long[] {dims.length}, dims),
            out.name() + "_shape");
        Node r = rw.insertBefore(c, "Reshape", List.of(inner, shape), 1, Map.of(),
            out.name() + "_restored");
        rw.inferTypes(r);
        back = r.output(0);
      } else {
        back = transpose(c, inner, q, out.name() + "_restored");
      }
      rw.replace(out, back);
    }

    private Value transpose(Node anchor, Value v, long[] perm, String hint) {
      Node t = rw.insertBefore(anchor, "Transpose", List.of(v), 1,
          Map.of("perm", new Attribute.IntsAttr(perm)), hint);
      rw.inferTypes(t);
      return t.output(0);
    }
  }
}

package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.MovableOps;
import dev.convoy.transforms.optimize.move.MovedOp;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sinks the Transposes of several branches through one op each and the op that joins them, in one
 * step: {@code J(R1(Transpose(x1, p1)), R2(Transpose(x2, p2)), ...)} where each {@code Ri} runs
 * on un-transposed data and leaves the same permutation {@code q} on its output, and {@code J}
 * runs on inputs carrying {@code q}, becomes {@code Transpose(J'(R1'(x1), R2'(x2), ...))}: n
 * Transposes become one (none when {@code J'} leaves the identity). {@code sink-transpose} moves
 * one seed at a time and counts the other branches as Transposes to add, so it cannot make this
 * move: YOLOX's three detection heads ({@code Transpose} to NCHW, {@code Reshape [N,85,H*W]},
 * then one {@code Concat} on axis 2 before the output's {@code Transpose(0,2,1)}) keep a layout
 * Transpose each without it. Every layout input of {@code J} must be such a branch, each
 * intermediate read by the next op alone.
 */
public final class SinkTransposesIntoJoin implements MatchingRule<SinkTransposesIntoJoin.Join> {
  public static final String NAME = "sink-transposes-into-join";

  /** One branch: the Transpose, the op after it and how that op runs on the Transpose's input. */
  record Branch(Node transpose, Node op, MovedOp moved) {}

  /**
   * What the rule found.
   *
   * @param branches the branches by input index of the join
   * @param moved how the join runs on the branches' moved outputs
   */
  public record Join(Map<Integer, Branch> branches, MovedOp moved) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.anyOp();
  }

  @Override
  public Match<Join> match(Node join, Rewriter rw) {
    if (!join.domain().isEmpty() || join.outputCount() != 1 || join.inputCount() < 2) {
      return Match.fail(join.opType() + " is not a standard op joining inputs");
    }
    long[] q = null;
    Map<Integer, Branch> branches = new TreeMap<>();
    for (int i = 0; i < join.inputCount(); i++) {
      Value v = join.input(i);
      Branch b = v == null ? null : branch(v, join);
      if (b == null) {
        continue;
      }
      long[] out = b.moved().outputPerms().get(0);
      if (q != null && !Arrays.equals(q, out)) {
        return Match.fail(v.name() + " carries another permutation than the other branches");
      }
      q = out;
      branches.put(i, b);
    }
    if (branches.size() < 2) {
      return Match.fail(join.output(0).name() + " joins fewer than two transposed branches");
    }
    MovedOp m = MovableOps.move(join, q);
    if (m == null || m.outputPerms().size() != 1) {
      return Match.fail(join.opType() + " " + join.output(0).name()
          + " cannot run on transposed inputs");
    }
    if (!m.layoutInputs().containsAll(branches.keySet())) {
      return Match.fail(join.opType() + " " + join.output(0).name()
          + " reads a transposed branch as other than data");
    }
    for (int i : m.layoutInputs()) {
      Value v = join.input(i);
      if (v != null && Facts.rank(v) != 0 && !branches.containsKey(i)) {
        return Match.fail(v.name() + " is not a transposed branch");
      }
    }
    return Match.of(new Join(branches, m));
  }

  /** The branch ending in input {@code v} of {@code join}, or null. */
  private static Branch branch(Value v, Node join) {
    Node op = v.producer();
    if (op == null || op.graph() != join.graph() || v.isGraphOutput() || v.uses().size() != 1
        || op.outputCount() != 1 || !op.domain().isEmpty() || op.opType().equals("Transpose")) {
      return null;
    }
    Value in = op.input(0);
    Node t = in == null ? null : in.producer();
    long[] p = t == null ? null : Perms.of(t);
    if (p == null || t.graph() != join.graph() || in.isGraphOutput() || in.uses().size() != 1
        || Facts.isIdentityPermutation(p)) {
      return null;
    }
    MovedOp m = MovableOps.move(op, p);
    if (m == null || !m.layoutInputs().equals(List.of(0)) || m.outputPerms().size() != 1) {
      return null;
    }
    for (int i = 1; i < op.inputCount(); i++) {
      if (op.input(i) != null && op.input(i).constant() == null
          && !m.constInputs().containsKey(i)) {
        return null;
      }
    }
    return new Branch(t, op, m);
  }

  @Override
  public void apply(Node join, Join j, Rewriter rw) {
    List<Value> inputs = new ArrayList<>(join.inputs());
    for (Map.Entry<Integer, Branch> e : j.branches().entrySet()) {
      Branch b = e.getValue();
      Node moved = copy(rw, b.op(), b.moved(), b.transpose().input(0));
      inputs.set(e.getKey(), moved.output(0));
    }
    Node moved = copyWith(rw, join, j.moved(), inputs);
    long[] q = j.moved().outputPerms().get(0);
    Value result = moved.output(0);
    if (!Facts.isIdentityPermutation(q)) {
      Node back = rw.insertBefore(join, "Transpose", List.of(result), 1,
          Map.of("perm", new Attribute.IntsAttr(q)), join.output(0).name() + "_restored");
      rw.inferTypes(back);
      result = back.output(0);
    }
    rw.replace(join.output(0), result);
    rw.erase(join);
    for (Branch b : j.branches().values()) {
      rw.erase(b.op());
      rw.erase(b.transpose());
    }
  }

  /** {@code op} as it runs on {@code x}, its moved layout input. */
  private static Node copy(Rewriter rw, Node op, MovedOp m, Value x) {
    List<Value> inputs = new ArrayList<>(op.inputs());
    inputs.set(0, x);
    return copyWith(rw, op, m, inputs);
  }

  /** {@code op} rewritten by {@code m} on {@code inputs}, placed right before it. */
  private static Node copyWith(Rewriter rw, Node op, MovedOp m, List<Value> inputs) {
    List<Value> in = new ArrayList<>(inputs);
    for (Map.Entry<Integer, Tensor> e : m.constInputs().entrySet()) {
      while (in.size() <= e.getKey()) {
        in.add(null);
      }
      in.set(e.getKey(), rw.constant(op.graph(), e.getValue(), op.output(0).name() + "_axes"));
    }
    Node n = rw.insertBefore(op, op.opType(), in, 1, m.attributes(),
        op.output(0).name() + "_moved");
    rw.setName(n, op.name());
    rw.inferTypes(n);
    return n;
  }
}

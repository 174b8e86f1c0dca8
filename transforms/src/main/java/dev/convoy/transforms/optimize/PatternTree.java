package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A rule's pattern declared as data: a tree of ops over variables and constants, rooted at the
 * op the rule rewrites, such as GELU's
 * {@code op("Mul", op("Mul", var("x"), op("Add", op("Erf", op("Div", var("x"), scalar(SQRT2))),
 * scalar(1))), scalar(0.5))}. {@link #match} binds it to the graph below a node, handling once
 * what every fusion needs:
 * <ul>
 *   <li>operands of commutative ops ({@link #COMMUTATIVE}) in either order;
 *   <li>a variable used twice is the same value;
 *   <li>sole use: the outputs of every matched node but the root feed only matched nodes and are
 *       no graph outputs, so erasing what the rewrite replaces removes nothing else;
 *   <li>every matched node is in the root's graph (a pattern never reaches into an enclosing
 *       graph);
 *   <li>one-element constants of a given value, any constant, any value.
 * </ul>
 * The result is a {@link Binding} or a failure with the reason the match got furthest to, which
 * tests assert.
 */
public sealed interface PatternTree {
  /**
   * Ops whose two operands may be swapped without changing the result, for every input including
   * NaN and signed zeros. (Max and Min are left out: runtimes differ on which NaN they return.)
   */
  Set<String> COMMUTATIVE = Set.of("Add", "Mul", "And", "Or", "Xor", "Equal", "BitwiseAnd",
      "BitwiseOr", "BitwiseXor");

  /**
   * An op node of the default domain whose inputs match {@code operands} in order (either order
   * for a commutative op with two operands); exactly that many inputs unless {@link
   * Op#withExtraInputs}. Matches a value only when it is the node's first output.
   */
  static Op op(String opType, PatternTree... operands) {
    return new Op("", opType, List.of(operands), null, false);
  }

  /** Any value (a missing optional input too), bound to {@code name}: the same name, the same value. */
  static PatternTree var(String name) {
    return new Var(name);
  }

  /** Any value (a missing optional input too), not bound. */
  static PatternTree any() {
    return new Any();
  }

  /**
   * A one-element floating-point constant equal to {@code c} (relative tolerance {@link
   * Matchers#CONSTANT_RTOL}, for values written in float32).
   */
  static PatternTree scalar(double c) {
    return new Scalar(c, null);
  }

  /** Any one-element floating-point constant, bound to {@code name}. */
  static PatternTree scalar(String name) {
    return new Scalar(null, name);
  }

  /** Any constant (an initializer here or in an enclosing graph), bound to {@code name}. */
  static PatternTree constant(String name) {
    return new Constant(name);
  }

  /** The first of {@code alternatives} that matches (at the root: the rule's alternative forms). */
  static PatternTree anyOf(PatternTree... alternatives) {
    return new AnyOf(List.of(alternatives));
  }

  /**
   * An op node. {@code name}, when set, binds the node ({@link Binding#node}) and its output
   * ({@link Binding#value}); a name used twice is the same node.
   */
  record Op(String domain, String opType, List<PatternTree> operands, String name,
      boolean extraInputs) implements PatternTree {
    public Op {
      operands = List.copyOf(operands);
    }

    /** The same op, binding the node and its output to {@code newName}. */
    public Op named(String newName) {
      return new Op(domain, opType, operands, newName, extraInputs);
    }

    /** The same op, accepting further inputs after the operands (optional inputs, any value). */
    public Op withExtraInputs() {
      return new Op(domain, opType, operands, name, true);
    }

    /** The same op in another domain. */
    public Op inDomain(String newDomain) {
      return new Op(newDomain, opType, operands, name, extraInputs);
    }

    boolean isCommutative() {
      return domain.isEmpty() && operands.size() == 2 && COMMUTATIVE.contains(opType);
    }
  }

  /** A variable; see {@link #var}. */
  record Var(String name) implements PatternTree {}

  /** A wildcard; see {@link #any}. */
  record Any() implements PatternTree {}

  /** A one-element float constant, of a given value or any ({@code value} null). */
  record Scalar(Double value, String name) implements PatternTree {}

  /** A constant of any shape; see {@link #constant}. */
  record Constant(String name) implements PatternTree {}

  /** Alternatives; see {@link #anyOf}. */
  record AnyOf(List<PatternTree> alternatives) implements PatternTree {
    public AnyOf {
      alternatives = List.copyOf(alternatives);
    }
  }

  /**
   * The root ops of this pattern, as the driver indexes them; an {@link AnyOf} root must hold ops
   * of one domain.
   */
  default Pattern rootPattern() {
    Set<String> ops = new LinkedHashSet<>();
    Set<String> domains = new LinkedHashSet<>();
    List<PatternTree> todo = new ArrayList<>(List.of(this));
    while (!todo.isEmpty()) {
      PatternTree t = todo.remove(todo.size() - 1);
      if (t instanceof Op op) {
        ops.add(op.opType());
        domains.add(op.domain());
      } else if (t instanceof AnyOf alt) {
        todo.addAll(alt.alternatives());
      } else {
        throw new IllegalArgumentException("a pattern's root must be an op: " + t);
      }
    }
    if (domains.size() != 1) {
      throw new IllegalArgumentException("a pattern's root ops span domains " + domains);
    }
    return new Pattern(domains.iterator().next(), ops);
  }

  /** The binding of this pattern rooted at {@code root}, or why there is none. */
  default Match<Binding> match(Node root) {
    return match(root, Match::of);
  }

  /**
   * The first binding rooted at {@code root} (trying commutations and alternatives in order) for
   * which {@code condition} gives a match, or the failure that got furthest: a condition's reason
   * over a sole-use one, that over a mismatch deeper in the tree, that over a shallower one.
   */
  default <M> Match<M> match(Node root, Function<Binding, Match<M>> condition) {
    return new TreeMatcher<>(root, condition).run(this);
  }
}

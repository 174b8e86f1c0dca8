package dev.convoy.transforms.optimize;

/**
 * Verify-each-pass found the first pass whose result computes something else than the original
 * graph on seeded inputs; when the pass is a rule set, the rewrite bisect also names the rule
 * whose rewrite first changed the outputs. {@code rule} is empty when no rule is to blame alone
 * (a whole-graph pass, or a change only the sum of several rewrites makes).
 */
public final class OutputsChangedException extends OptimizeException {
  private final String pass;
  private final String rule;
  private final String detail;

  OutputsChangedException(String pass, String rule, String detail) {
    super((rule.isEmpty() ? "pass '" + pass + "'" : "rule '" + rule + "' (in pass '" + pass + "')")
        + " is the first to change the outputs: " + detail);
    this.pass = pass;
    this.rule = rule;
    this.detail = detail;
  }

  /** The pass that first changed the outputs. */
  public String pass() {
    return pass;
  }

  /** The rule whose rewrite first changed the outputs, or empty. */
  public String rule() {
    return rule;
  }

  /** The first differing output and its errors. */
  public String detail() {
    return detail;
  }

  /** {@code pass} or {@code pass/rule}, for a report column. */
  public String culprit() {
    return rule.isEmpty() ? pass : pass + "/" + rule;
  }
}

package dev.convoy.transforms.optimize;

import java.util.ArrayList;
import java.util.List;

/**
 * An ordered list of steps, written as text (the files under {@code configs/pipelines/}):
 *
 * <pre>
 * # comment
 * infer-shapes
 * repeat 8 {
 *   rules basic max=100000 {
 *     fold-constants
 *     eliminate-identity
 *   }
 *   cse
 * }
 * </pre>
 *
 * A bare name runs a pass; {@code rules NAME [max=N] { rule... }} runs rules to a fixpoint under a
 * rewrite cap; {@code repeat N { ... }} repeats its steps until none changes the graph, at most N
 * times (still changing after N rounds is recorded as not converged); {@code include LEVEL} puts
 * the steps of a level's default pipeline in its place (so O2 is O1 plus its own steps, and O3 is
 * O2 plus its own). {@link #print()} writes the canonical form (includes expanded), and {@code
 * parse(print(p))} equals {@code p}.
 */
public record PassPipeline(List<Step> steps) {
  public PassPipeline {
    steps = List.copyOf(steps);
  }

  /** One step of a pipeline. */
  public sealed interface Step {}

  /** Runs the pass named {@code pass}. */
  public record RunPass(String pass) implements Step {}

  /** Runs {@code rules} to a fixpoint under {@code maxRewrites}. */
  public record RunRules(String name, int maxRewrites, List<String> rules) implements Step {
    public RunRules {
      rules = List.copyOf(rules);
    }
  }

  /** Repeats {@code steps} until nothing changes, at most {@code maxRounds} times. */
  public record Repeat(int maxRounds, List<Step> steps) implements Step {
    public Repeat {
      steps = List.copyOf(steps);
    }
  }

  /** Every rule and pass name the pipeline mentions, in order. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    collect(steps, out);
    return out;
  }

  private static void collect(List<Step> steps, List<String> out) {
    for (Step s : steps) {
      if (s instanceof RunPass p) {
        out.add(p.pass());
      } else if (s instanceof RunRules r) {
        out.addAll(r.rules());
      } else if (s instanceof Repeat r) {
        collect(r.steps(), out);
      }
    }
  }

  /** The canonical text form. */
  public String print() {
    StringBuilder sb = new StringBuilder();
    print(steps, "", sb);
    return sb.toString();
  }

  private static void print(List<Step> steps, String indent, StringBuilder sb) {
    for (Step s : steps) {
      if (s instanceof RunPass p) {
        sb.append(indent).append(p.pass()).append('\n');
      } else if (s instanceof RunRules r) {
        sb.append(indent).append("rules ").append(r.name());
          if (r.maxRewrites() != RuleSetPass.DEFAULT_MAX_REWRITES) {
            sb.append(" max=").append(r.maxRewrites());
          }
          sb.append(" {\n");
          for (String rule : r.rules()) {
            sb.append(indent).append("  ").append(rule).append('\n');
          }
        sb.append(indent).append("}\n");
      } else if (s instanceof Repeat r) {
        sb.append(indent).append("repeat ").append(r.maxRounds()).append(" {\n");
        print(r.steps(), indent + "  ", sb);
        sb.append(indent).append("}\n");
      }
    }
  }

  /**
   * Parses the text form. {@code source} names the file in error messages, which also give the
   * line number.
   */
  public static PassPipeline parse(String text, String source) {
    return parse(text, source, List.of());
  }

  /** Parses with {@code including}: the levels whose pipelines are being expanded (no cycles). */
  static PassPipeline parse(String text, String source, List<Level> including) {
    Parser p = new Parser(text.split("\n", -1), source, including);
    List<Step> steps = p.block(false);
    return new PassPipeline(steps);
  }

  private static final class Parser {
    private final String[] lines;
    private final String source;
    private final List<Level> including;
    private int line;

    Parser(String[] lines, String source, List<Level> including) {
      this.lines = lines;
      this.source = source;
      this.including = including;
    }

    private List<Step> include(String[] w) {
      if (w.length != 2) {
        throw error("expected 'include LEVEL'");
      }
      Level level;
      try {
        level = Level.parse(w[1]);
      } catch (RuntimeException e) {
        throw error("expected a level (O0, O1, O2, O3) after 'include' but found '" + w[1] + "'");
      }
      if (including.contains(level)) {
        throw error("'include " + level + "' includes itself");
      }
      List<Level> chain = new ArrayList<>(including);
      chain.add(level);
      return Optimizer.Pipelines.forLevel(level, chain).steps();
    }

    List<Step> block(boolean nested) {
      List<Step> steps = new ArrayList<>();
      while (line < lines.length) {
        String t = nextLine();
        if (t.isEmpty()) {
          continue;
        }
        if (t.equals("}")) {
          if (!nested) {
            throw error("unmatched '}'");
          }
          return steps;
        }
        String[] w = t.split("\\s+");
        if (w[0].equals("repeat")) {
          if (w.length != 3 || !w[2].equals("{")) {
            throw error("expected 'repeat N {'");
          }
          steps.add(new Repeat(positive(w[1]), block(true)));
        } else if (w[0].equals("rules")) {
          steps.add(rules(w));
        } else if (w[0].equals("include")) {
          steps.addAll(include(w));
        } else if (w.length == 1 && isName(w[0])) {
          steps.add(new RunPass(w[0]));
        } else {
          throw error("expected a pass name, 'rules NAME {' or 'repeat N {' but found '" + t + "'");
        }
      }
      if (nested) {
        throw error("missing '}' at end of file");
      }
      return steps;
    }

    /** The next line without its {@code #} comment and surrounding blanks; advances. */
    private String nextLine() {
      String raw = lines[line++];
      int hash = raw.indexOf('#');
      return (hash >= 0 ? raw.substring(0, hash) : raw).trim();
    }

    private RunRules rules(String[] w) {
      if (w.length < 3 || !w[w.length - 1].equals("{") || !isName(w[1]) || w.length > 4) {
        throw error("expected 'rules NAME [max=N] {'");
      }
      int max = RuleSetPass.DEFAULT_MAX_REWRITES;
      if (w.length == 4) {
        if (!w[2].startsWith("max=")) {
          throw error("expected 'max=N' but found '" + w[2] + "'");
        }
        max = positive(w[2].substring(4));
      }
      List<String> rules = new ArrayList<>();
      while (true) {
        if (line >= lines.length) {
          throw error("missing '}' at end of file");
        }
        String t = nextLine();
        if (t.isEmpty()) {
          continue;
        }
        if (t.equals("}")) {
          return new RunRules(w[1], max, rules);
        }
        if (!isName(t)) {
          throw error("expected a rule name but found '" + t + "'");
        }
        rules.add(t);
      }
    }

    private int positive(String s) {
      try {
        int n = Integer.parseInt(s);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw error("expected a positive number but found '" + s + "'");
    }

    private static boolean isName(String s) {
      return s.matches("[a-z0-9]+(-[a-z0-9]+)*");
    }

    private OptimizeException error(String what) {
      return new OptimizeException(source + ":" + line + ": " + what);
    }
  }
}

package dev.convoy.ir.memory;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Graph;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A memory plan as one model metadata entry, {@value #KEY}, which the {@code .cvy} header and
 * ONNX {@code metadata_props} both carry; a model without the entry simply has no plan, so files
 * written before plans existed read unchanged. The text is versioned by its first line
 * ({@code convoy-memory-plan 1}), then one record per line: {@code plan} (arena, LOAD, naive sum,
 * planner, in-place and alias counts), {@code alloc} (value, offset, size, first and last step,
 * the value it shares bytes with or {@code ~}), {@code skip} (value) and {@code sub <key> {}...
 * {@code }} around a subgraph's plan. Value names are URL-encoded.
 */
public final class MemoryPlanCodec {
  /** The metadata key holding the plan. */
  public static final String KEY = "convoy.memory_plan";

  /** The plan text version this build writes and reads. */
  public static final int VERSION = 1;

  private static final String HEADER = "convoy-memory-plan";

  private MemoryPlanCodec() {}

  /** Stores {@code plan} as {@code g}'s plan, replacing any earlier one. */
  public static void store(Graph g, MemoryPlan plan) {
    g.metadata().put(KEY, encode(plan));
  }

  /** {@code g}'s stored plan, if it has one; a damaged entry is an {@link InvalidModelException}. */
  public static Optional<MemoryPlan> stored(Graph g) {
    String text = g.metadata().get(KEY);
    return text == null ? Optional.empty() : Optional.of(decode(text));
  }

  public static String encode(MemoryPlan plan) {
    StringBuilder sb = new StringBuilder(HEADER).append(' ').append(VERSION).append('\n');
    write(plan, sb);
    return sb.toString();
  }

  private static void write(MemoryPlan p, StringBuilder sb) {
    sb.append("plan ").append(p.arenaBytes()).append(' ').append(p.lowerBoundBytes()).append(' ')
        .append(p.naiveBytes()).append(' ').append(enc(p.planner())).append(' ')
        .append(p.inPlace()).append(' ').append(p.aliased()).append('\n');
    for (MemoryPlan.Allocation a : p.allocations()) {
      sb.append("alloc ").append(enc(a.value())).append(' ').append(a.offset()).append(' ')
          .append(a.size()).append(' ').append(a.firstStep()).append(' ').append(a.lastStep())
          .append(' ').append(a.sharesWith() == null ? "~" : enc(a.sharesWith())).append('\n');
    }
    for (String s : p.skipped()) {
      sb.append("skip ").append(enc(s)).append('\n');
    }
    for (var e : p.subgraphs().entrySet()) {
      sb.append("sub ").append(enc(e.getKey())).append(" {\n");
      write(e.getValue(), sb);
      sb.append("}\n");
    }
  }

  public static MemoryPlan decode(String text) {
    String[] lines = text.split("\n");
    String[] head = lines.length == 0 ? new String[0] : lines[0].split(" ");
    if (head.length != 2 || !head[0].equals(HEADER)) {
      throw bad(1, "does not start with '" + HEADER + " <version>'");
    }
    int version;
    try {
      version = Integer.parseInt(head[1]);
    } catch (NumberFormatException e) {
      throw bad(1, "version '" + head[1] + "' is not a number");
    }
    if (version > VERSION) {
      throw bad(1, "version " + version + " is newer than this build reads (" + VERSION + ")");
    }
    int[] at = {1};
    MemoryPlan plan = read(lines, at);
    if (at[0] != lines.length) {
      throw bad(at[0] + 1, "unexpected '" + lines[at[0]] + "'");
    }
    return plan;
  }

  private static MemoryPlan read(String[] lines, int[] at) {
    int planLine = at[0];
    String[] p = fields(lines, planLine, "plan", 7);
    at[0]++;
    List<MemoryPlan.Allocation> allocations = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Map<String, MemoryPlan> subs = new LinkedHashMap<>();
    while (at[0] < lines.length && !lines[at[0]].equals("}")) {
      int line = at[0];
      String kind = lines[line].split(" ", 2)[0];
      switch (kind) {
        case "alloc" -> {
          String[] f = fields(lines, line, "alloc", 7);
          allocations.add(new MemoryPlan.Allocation(dec(f[1]), num(f[2], line), num(f[3], line),
              (int) num(f[4], line), (int) num(f[5], line), f[6].equals("~") ? null : dec(f[6])));
          at[0]++;
        }
        case "skip" -> {
          skipped.add(dec(fields(lines, line, "skip", 2)[1]));
          at[0]++;
        }
        case "sub" -> {
          String[] f = fields(lines, line, "sub", 3);
          at[0]++;
          subs.put(dec(f[1]), read(lines, at));
          if (at[0] >= lines.length) {
            throw bad(line + 1, "subgraph plan '" + dec(f[1]) + "' is not closed by '}'");
          }
          at[0]++;
        }
        default -> throw bad(line + 1, "unknown record '" + kind + "'");
      }
    }
    return new MemoryPlan(num(p[1], planLine), num(p[2], planLine), num(p[3], planLine),
        dec(p[4]), (int) num(p[5], planLine), (int) num(p[6], planLine), allocations, skipped,
        subs);
  }

  private static String[] fields(String[] lines, int line, String kind, int count) {
    if (line >= lines.length) {
      throw bad(line + 1, "missing '" + kind + "' record");
    }
    String[] f = lines[line].split(" ");
    if (f.length != count || !f[0].equals(kind)) {
      throw bad(line + 1, "expected a '" + kind + "' record of " + count + " fields, got '"
          + lines[line] + "'");
    }
    return f;
  }

  private static long num(String s, int line) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw bad(line + 1, "'" + s + "' is not a number");
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new InvalidModelException("metadata '" + KEY + "': bad escape in '" + s + "'");
    }
  }

  private static InvalidModelException bad(int line, String what) {
    return new InvalidModelException("metadata '" + KEY + "', line " + line + ": " + what);
  }
}

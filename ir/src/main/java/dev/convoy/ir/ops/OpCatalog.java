package dev.convoy.ir.ops;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.ops.family.OpFamilies;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The single source of op semantics, keyed by (domain, op type, opset): each op has entries
 * since given opset versions, and a node runs the newest entry not newer than the opset its graph
 * imports for the op's domain. Shape inference, the evaluator, constant folding and the verifier
 * all look ops up here.
 */
public final class OpCatalog {
  /**
   * The domain of Convoy's own fused ops ({@code .cvy} only; expanded to standard ops on ONNX export).
   * Its kernels live in the {@code ConvoyFused} family; rules name the domain through this
   * constant, not through the family.
   */
  public static final String CONVOY_DOMAIN = "convoy";

  private static volatile OpCatalog standard;

  /** Per "domain|opType", entries by since-version. */
  private final Map<String, TreeMap<Integer, OpDef>> entries = new TreeMap<>();

  private OpCatalog() {}

  /** The catalog of every family in {@link OpFamilies} (built once). */
  public static OpCatalog standard() {
    OpCatalog c = standard;
    if (c == null) {
      synchronized (OpCatalog.class) {
        c = standard;
        if (c == null) {
          c = of(OpFamilies.all());
          standard = c;
        }
      }
    }
    return c;
  }

  /** A catalog of exactly these families (tests, or a restricted evaluator). */
  public static OpCatalog of(List<OpFamily> families) {
    OpCatalog c = new OpCatalog();
    for (OpFamily f : families) {
      OpRegistrar r = new OpRegistrar();
      f.register(r);
      for (OpDef d : r.build()) {
        var versions = c.entries.computeIfAbsent(key(d.domain(), d.opType()), k -> new TreeMap<>());
        OpDef prior = versions.putIfAbsent(d.sinceVersion(), d);
        if (prior != null) {
          throw new IllegalStateException(
              d.id() + " is registered twice (second time by " + f.getClass().getSimpleName() + ")");
        }
      }
    }
    return c;
  }

  /** {@code ai.onnx} and {@code ""} both name the default domain. */
  public static String normalizeDomain(String domain) {
    return domain == null || domain.equals("ai.onnx") ? "" : domain;
  }

  private static String key(String domain, String opType) {
    return normalizeDomain(domain) + "|" + opType;
  }

  /** The entry for {@code opType} at {@code opset}, or {@code null} when there is none. */
  public OpDef find(String domain, String opType, long opset) {
    var versions = entries.get(key(domain, opType));
    if (versions == null) {
      return null;
    }
    var e = versions.floorEntry((int) Math.min(opset, Integer.MAX_VALUE));
    return e == null ? null : e.getValue();
  }

  /** The opset a node runs at: its graph's import of the node's domain (newest when absent). */
  public static long opsetOf(Node node) {
    long v = node.graph().opsetVersion(normalizeDomain(node.domain()));
    return v > 0 ? v : Integer.MAX_VALUE;
  }

  /** The entry {@code node} runs, or {@code null} when Convoy lacks it. */
  public OpDef find(Node node) {
    return find(node.domain(), node.opType(), opsetOf(node));
  }

  /** The entry {@code node} runs; {@link UnsupportedOpException} naming op, domain and opset. */
  public OpDef require(Node node) {
    OpDef d = find(node);
    if (d == null) {
      throw new UnsupportedOpException(unsupportedMessage(node));
    }
    return d;
  }

  /** Whether any version of the op is known (to tell "unknown op" from "unknown version"). */
  public boolean knows(String domain, String opType) {
    return entries.containsKey(key(domain, opType));
  }

  private String unsupportedMessage(Node node) {
    String domain = normalizeDomain(node.domain());
    long opset = opsetOf(node);
    String where = node.name().isEmpty() ? "" : " (node '" + node.name() + "')";
    String dname = domain.isEmpty() ? "ai.onnx" : domain;
    String opsetText = opset == Integer.MAX_VALUE ? "not imported" : Long.toString(opset);
    var versions = entries.get(key(domain, node.opType()));
    if (versions != null) {
      return "op " + node.opType() + " of domain " + dname + " at opset " + opsetText + where
          + " is not supported: Convoy implements it from opset " + versions.firstKey();
    }
    return "op " + node.opType() + " of domain " + dname + " at opset " + opsetText + where
        + " is not supported by Convoy";
  }

  /** Every entry, ordered by domain, op type and version. */
  public Collection<OpDef> all() {
    List<OpDef> out = new ArrayList<>();
    entries.values().forEach(v -> out.addAll(v.values()));
    return out;
  }

  /**
   * Problems with how {@code node} uses its op: unsupported op, input or output counts outside
   * the entry's arity, missing required attributes. Empty when the node is well formed.
   */
  public List<String> check(Node node) {
    List<String> problems = new ArrayList<>();
    OpDef d = find(node);
    if (d == null) {
      problems.add(unsupportedMessage(node));
      return problems;
    }
    int in = node.inputCount();
    while (in > 0 && node.input(in - 1) == null) {
      in--;
    }
    if (in < d.minInputs() || node.inputCount() > d.maxInputs()) {
      problems.add(node + ": " + d.id() + " takes " + range(d.minInputs(), d.maxInputs())
          + " inputs, node has " + node.inputCount());
    }
    if (node.outputCount() < d.minOutputs() || node.outputCount() > d.maxOutputs()) {
      problems.add(node + ": " + d.id() + " has " + range(d.minOutputs(), d.maxOutputs())
          + " outputs, node has " + node.outputCount());
    }
    for (AttrSpec a : d.attributes().values()) {
      if (a.required() && !node.hasAttribute(a.name())) {
        problems.add(node + ": required attribute '" + a.name() + "' is missing");
      }
    }
    return problems;
  }

  private static String range(int min, int max) {
    if (min == max) {
      return Integer.toString(min);
    }
    return max == Integer.MAX_VALUE ? "at least " + min : min + " to " + max;
  }
}

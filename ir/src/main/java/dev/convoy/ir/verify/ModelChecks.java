package dev.convoy.ir.verify;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.AttrSpec;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a model must satisfy at import, before any pass sees it, so that a model no runtime can
 * load is refused up front instead of optimized: a default-domain opset some ONNX release
 * defines; the structural invariants of {@link GraphVerifier} (If branches as many outputs as
 * the node, ...); ops only in domains Convoy knows (others pass through only on request); and for
 * every op the catalog knows, its arity, required attributes, attribute kinds, and the
 * contradictions its shape function proves from the graph inputs and constants alone (declared
 * intermediate types are hints, not facts, and are left out). Each failure is one line naming the
 * source file, the node and what is wrong.
 */
public final class ModelChecks {
  /**
   * Domains whose ops Convoy carries through without being asked: ONNX's own, ONNX Runtime's
   * contrib ops (a runtime target), and Convoy's engine ops (in {@code .cvy}).
   */
  public static final Set<String> KNOWN_DOMAINS = Set.of(
      "", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview", "ai.onnx.preview.training",
      "com.microsoft", "convoy");

  private ModelChecks() {}

  /**
   * Checks {@code graph}, read from {@code source}; throws a {@link
   * dev.convoy.ir.ConvoyException} naming the source on the first failure. With {@code
   * allowUnknownDomains}, ops of unknown domains are carried through and one note per op says so.
   */
  public static List<String> check(Graph graph, String source, boolean allowUnknownDomains) {
    OpCatalog catalog = OpCatalog.standard();
    long opset = graph.opsets().getOrDefault("", 0L);
    int newest = newestOpset(catalog);
    if (opset > newest) {
      throw new UnsupportedOpException(source + ": default-domain opset " + opset
          + " is newer than any ONNX release Convoy knows (the newest is " + newest + ")");
    }
    GraphVerifier.check(graph, source);
    List<String> notes = new ArrayList<>();
    graph.forEachNode(n -> {
      if (!KNOWN_DOMAINS.contains(n.domain())) {
        if (!allowUnknownDomains) {
          throw new UnsupportedOpException(source + ": " + describe(n) + " is in domain '"
              + n.domain() + "', which Convoy does not know; pass --allow-unknown-domains to"
              + " carry its ops through unchanged");
        }
        notes.add(describe(n) + " is in unknown domain '" + n.domain()
            + "'; passed through unchanged (--allow-unknown-domains)");
        return;
      }
      OpDef def = catalog.find(n);
      if (def != null) {
        List<String> problems = catalog.check(n);
        if (!problems.isEmpty()) {
          throw new InvalidModelException(source + ": " + problems.get(0));
        }
        attributeKinds(n, def, source);
      }
    });
    inferFromInputs(graph, source);
    return notes;
  }

  /** The newest default-domain opset any op of the catalog is defined at. */
  private static int newestOpset(OpCatalog catalog) {
    return catalog.all().stream().filter(d -> d.domain().isEmpty())
        .mapToInt(OpDef::sinceVersion).max().orElse(0);
  }

  /** An attribute given with another kind than the op's declared default (float for int...). */
  private static void attributeKinds(Node n, OpDef def, String source) {
    for (Map.Entry<String, Attribute> a : n.attributes().entrySet()) {
      AttrSpec spec = def.attribute(a.getKey());
      Attribute want = spec == null ? null : spec.defaultValue();
      if (want != null && want.getClass() != a.getValue().getClass()) {
        throw new InvalidModelException(source + ": " + describe(n) + ": attribute '"
            + a.getKey() + "' must be " + kind(want) + ", is " + kind(a.getValue()));
      }
    }
  }

  private static String kind(Attribute a) {
    return a.getClass().getSimpleName().replace("Attr", "").toLowerCase();
  }

  /**
   * Runs shape inference over a copy whose node outputs carry no declared type, so only what the
   * graph inputs, initializers and ops prove is checked; a contradiction refuses the model.
   */
  private static void inferFromInputs(Graph graph, String source) {
    Graph copy = graph.copy();
    copy.forEachNode(n -> {
      for (Value out : n.outputs()) {
        if (out != null) {
          out.setType(null);
        }
      }
    });
    try {
      ShapeInference.infer(copy);
    } catch (InvalidModelException e) {
      throw new InvalidModelException(source + ": " + e.getMessage(), e);
    }
  }

  private static String describe(Node n) {
    String op = n.domain().isEmpty() ? n.opType() : n.domain() + "::" + n.opType();
    return n.name().isEmpty() ? op + " node" : "node '" + n.name() + "' (" + op + ")";
  }
}

package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.transforms.memory.PlanMemoryPass;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.PassRegistry;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.optimize.eliminate.EliminateDeadNode;
import dev.convoy.transforms.optimize.eliminate.EliminateIdentityTranspose;
import dev.convoy.transforms.optimize.eliminate.MergeTransposes;
import dev.convoy.transforms.optimize.move.Perms;
import dev.convoy.transforms.optimize.move.SinkTranspose;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --io-layout nhwc}: after the layout pass, drops the Transposes at the graph boundary, so
 * a 4-D graph input read only through Transposes into NHWC is declared {@code [N, H, W, C]} and
 * a graph output computed by a Transpose back to NCHW is given as the NHWC value before it (under
 * the output's name). An input that reaches those Transposes through ops a Transpose moves
 * through (YOLOX's Focus: Slices, then a Concat on the channel axis) is NHWC too when the
 * Transpose back to NCHW put under it sinks down to them and cancels (tried on a copy first). The artifact records which inputs and outputs changed in the metadata entry
 * {@value #KEY} ({@code inputs=a,b;outputs=c}), and a stored memory plan is made again for the
 * changed graph. Inputs and outputs the layout pass left NCHW stay as they are.
 */
public final class IoLayout {
  /** The metadata entry naming the inputs and outputs whose layout became NHWC. */
  public static final String KEY = "convoy.io_layout";

  /** The rules that move an input's Transpose down until it cancels: O3's Transpose moves. */
  private static final List<String> SINK_RULES = List.of(SinkTranspose.NAME,
      SinkTransposesIntoJoin.NAME, MergeTransposes.NAME, EliminateIdentityTranspose.NAME,
      EliminateDeadNode.NAME);

  private IoLayout() {}

  /** The names of the inputs and outputs that became NHWC. */
  public record Changed(List<String> inputs, List<String> outputs) {
    public boolean isEmpty() {
      return inputs.isEmpty() && outputs.isEmpty();
    }
  }

  /** Makes the boundary of {@code g} (an optimized top-level graph) NHWC where it can. */
  public static Changed toNhwc(Graph g, OptimizeOptions options) {
    PassContext ctx = new PassContext(options, null);
    Rewriter rw = new Rewriter(ctx);
    List<String> inputs = new ArrayList<>();
    for (Value x : List.copyOf(g.inputs())) {
      if (x.constant() != null || !isFourD(x) || x.isGraphOutput()) {
        continue;
      }
      if (readOnlyIntoNhwc(x)) {
        rw.setType(x, nhwcType(x));
        for (Use u : List.copyOf(x.uses())) {
          Node t = u.node();
          rw.replace(t.output(0), x);
          rw.erase(t);
        }
        inputs.add(x.name());
      } else if (sinksIntoNhwc(g.copy(), x.name(), ctx)) {
        sinkFrom(g, x, ctx);
        inputs.add(x.name());
      }
    }
    List<String> outputs = new ArrayList<>();
    for (int i = 0; i < g.outputs().size(); i++) {
      Value y = g.outputs().get(i);
      Node t = y.producer();
      Value inner = t == null ? null : t.input(0);
      if (t != null && isTranspose(t, ConvertToNhwc.TO_NCHW) && y.uses().isEmpty()
          && g.outputs().indexOf(y) == i && g.outputs().lastIndexOf(y) == i
          && inner.kind() == Value.Kind.NODE_OUTPUT && !inner.isGraphOutput()) {
        outputs.add(y.name());
        rw.setGraphOutput(g, i, inner);
        rw.erase(t);
      }
    }
    Changed changed = new Changed(inputs, outputs);
    if (!changed.isEmpty()) {
      rw.setMetadata(g, KEY, "inputs=" + String.join(",", inputs) + ";outputs="
          + String.join(",", outputs));
      if (g.metadata().containsKey(MemoryPlanCodec.KEY)) {
        new PlanMemoryPass().run(g, ctx);
      }
    }
    return changed;
  }

  /** The inputs and outputs {@code g}'s metadata names as NHWC (none without the entry). */
  public static Changed changed(Graph g) {
    String entry = g.metadata().get(KEY);
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    if (entry != null) {
      for (String part : entry.split(";")) {
        String[] kv = part.split("=", 2);
        List<String> into = kv[0].equals("inputs") ? inputs
            : kv[0].equals("outputs") ? outputs : null;
        if (into == null || kv.length < 2) {
          throw new InvalidModelException("metadata " + KEY + " '" + entry
              + "' is not inputs=a,b;outputs=c");
        }
        for (String name : kv[1].split(",")) {
          if (!name.isEmpty()) {
            into.add(name);
          }
        }
      }
    }
    return new Changed(inputs, outputs);
  }

  /**
   * {@code nchw}, inputs for the model {@code g} came from, as {@code g} reads them: the inputs
   * its metadata names as NHWC transposed to NHWC, the others as they are.
   */
  public static Map<String, Tensor> inputsFor(Graph g, Map<String, Tensor> nchw) {
    Changed c = changed(g);
    if (c.inputs().isEmpty()) {
      return nchw;
    }
    Map<String, Tensor> out = new LinkedHashMap<>(nchw);
    for (String name : c.inputs()) {
      Tensor t = out.get(name);
      if (t != null) {
        out.put(name, Perms.moveConstant(t, ConvertToNhwc.TO_NCHW));
      }
    }
    return out;
  }

  /** {@code shapes} (NCHW, by input name) as {@code g} reads its inputs. */
  public static Map<String, long[]> shapesFor(Graph g, Map<String, long[]> shapes) {
    Changed c = changed(g);
    if (c.inputs().isEmpty()) {
      return shapes;
    }
    Map<String, long[]> out = new LinkedHashMap<>(shapes);
    for (String name : c.inputs()) {
      long[] d = out.get(name);
      if (d != null && d.length == 4) {
        out.put(name, new long[] {d[0], d[2], d[3], d[1]});
      }
    }
    return out;
  }

  private static boolean isFourD(Value x) {
    return x.tensorType() != null && x.tensorType().shape().hasRank()
        && x.tensorType().shape().rank() == 4;
  }

  private static ValueType.TensorType nhwcType(Value x) {
    return new ValueType.TensorType(x.tensorType().dtype(),
        permuted(x.tensorType().shape(), ConvertToNhwc.TO_NHWC));
  }

  private static boolean readOnlyIntoNhwc(Value x) {
    return !x.uses().isEmpty() && x.uses().stream().allMatch(u -> isTranspose(u.node(),
        ConvertToNhwc.TO_NHWC) && !u.node().output(0).isGraphOutput());
  }

  /**
   * Whether input {@code name} of {@code trial} (a copy, which this changes) can be NHWC with
   * fewer Transposes: {@link #sinkFrom} leaves it read by no Transpose and the graph with fewer
   * Transposes than before. This holds when the input reaches the layout pass's Transposes into
   * NHWC only through ops a Transpose sinks through (YOLOX's Focus: Slices and a Concat before
   * its first convolution).
   */
  private static boolean sinksIntoNhwc(Graph trial, String name, PassContext ctx) {
    Value x = trial.inputs().stream().filter(v -> v.name().equals(name)).findFirst()
        .orElseThrow();
    int before = transposes(trial);
    sinkFrom(trial, x, ctx);
    return transposes(trial) < before && x.uses().stream().noneMatch(u -> isTranspose(u.node()));
  }

  /**
   * Declares {@code x} NHWC, reads it through a Transpose back to NCHW, and sinks that Transpose
   * through the ops below ({@link #SINK_RULES}) as far as it cancels against the Transposes it
   * meets.
   */
  private static void sinkFrom(Graph g, Value x, PassContext ctx) {
    Rewriter rw = new Rewriter(ctx);
    List<Use> readers = List.copyOf(x.uses());
    rw.setType(x, nhwcType(x));
    Node t = rw.insertBefore(g.nodes().get(0), "Transpose", List.of(x), 1,
        Map.of("perm", new Attribute.IntsAttr(ConvertToNhwc.TO_NCHW)), x.name() + "_nchw");
    rw.inferTypes(t);
    for (Use u : readers) {
      rw.setInput(u.node(), u.index(), t.output(0));
    }
    new RuleSetPass(NhwcIo.NAME, SINK_RULES.stream().map(PassRegistry::rule).toList(),
        RuleSetPass.DEFAULT_MAX_REWRITES).run(g, ctx);
  }

  private static int transposes(Graph g) {
    int[] n = {0};
    g.forEachNode(node -> n[0] += isTranspose(node) ? 1 : 0);
    return n[0];
  }

  private static boolean isTranspose(Node n, long[] perm) {
    return isTranspose(n) && Arrays.equals(Perms.of(n), perm);
  }

  private static boolean isTranspose(Node n) {
    return n.domain().isEmpty() && n.opType().equals("Transpose");
  }

  /** {@code s} with its dims reordered as a Transpose by {@code perm} reorders them. */
  public static Shape permuted(Shape s, long[] perm) {
    List<Dim> dims = new ArrayList<>();
    for (long p : perm) {
      dims.add(s.dim((int) p));
    }
    return Shape.of(dims);
  }
}

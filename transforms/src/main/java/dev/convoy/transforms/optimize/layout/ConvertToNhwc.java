package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NCHW to NHWC for the {@code cvy} target (TVM's ConvertLayout, ONNX Runtime's layout
 * transformer): every layout-sensitive float32 2-D op becomes its channels-last form between a
 * Transpose into NHWC and one back, {@code Transpose(NhwcOp(Transpose(x, [0,2,3,1])), [0,3,1,2])},
 * and the pipeline's Transpose rules ({@code sink-transpose}, {@code hoist-transpose}, {@code
 * merge-transposes}) then cancel the pairs between neighbours, so Transposes remain only where the
 * region meets the graph's inputs and outputs or an op no rule can move a Transpose through.
 *
 * <p>Heavily sensitive ops become {@code convoy} ops ({@code docs/convoy-ops.md}): Conv and
 * FusedConv ({@code NhwcConv}, the constant weight permuted once to HWIO here), ConvTranspose of
 * one group ({@code NhwcConvTranspose}, weight {@code [C, kh, kw, M]}), MaxPool without indices,
 * AveragePool, GlobalAveragePool, GlobalMaxPool, LRN, DepthToSpace, SpaceToDepth,
 * BatchNormalization in inference mode and InstanceNormalization (their {@code [C]} parameters
 * as they are), and GridSample (its grid {@code [N, Ho, Wo, 2]} as it is). Resize,
 * whose every axis resizes on its own, stays standard with its roi, scales or sizes permuted
 * (nearest, linear and cubic modes without antialiasing; {@link ResizeAxes}). Ops with a non-constant
 * weight, a dynamic rank or another type are left as they are. Nothing happens for the other
 * targets: ONNX has no NHWC
 * convolution.
 */
public final class ConvertToNhwc implements Pass {
  public static final String NAME = "convert-to-nhwc";

  /** Where each NHWC axis comes from in NCHW (a Transpose perm), and its inverse. */
  static final long[] TO_NHWC = {0, 2, 3, 1};
  static final long[] TO_NCHW = {0, 3, 1, 2};
  /** The Transpose that turns an OIHW weight into HWIO. */
  private static final long[] OIHW_TO_HWIO = {2, 3, 1, 0};
  /** The Transpose that turns a ConvTranspose weight {@code [C, M, kh, kw]} into [C, kh, kw, M]. */
  private static final long[] CMHW_TO_CHWM = {0, 2, 3, 1};

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    if (!ctx.options().target().convoyOps()) {
      return 0;
    }
    List<Node> candidates = new ArrayList<>();
    graph.forEachNode(n -> {
      if (convertible(n)) {
        candidates.add(n);
      }
    });
    Rewriter rw = new Rewriter(ctx);
    for (Node n : candidates) {
      convert(n, rw);
    }
    ctx.count(NAME, candidates.size());
    return candidates.size();
  }

  /** Whether {@code n} has a channels-last form this pass can write. */
  static boolean convertible(Node n) {
    if (n.outputCount() == 0 || Facts.rank(n.input(0)) != 4
        || Facts.dtype(n.input(0)) != DType.FLOAT) {
      return false;
    }
    if (n.domain().equals(OpCatalog.CONVOY_DOMAIN)) {
      return n.opType().equals("FusedConv") && constantWeight(n);
    }
    if (!n.domain().isEmpty()) {
      return false;
    }
    return switch (n.opType()) {
      case "Conv" -> constantWeight(n);
      case "ConvTranspose" -> constantWeight(n) && n.intAttr("group", 1) == 1;
      case "MaxPool" -> n.outputCount() == 1 || n.output(1) == null
          || !n.output(1).hasUses() && !n.output(1).isGraphOutput();
      // NhwcAveragePool divides a ceil-mode window past the end padding the opset-19 way; up to
      // 18 such a pool counting pads divides by the whole kernel.
      case "AveragePool" -> n.intAttr("ceil_mode", 0) == 0
          || n.intAttr("count_include_pad", 0) == 0 || n.graph().opsetVersion("") >= 19;
      case "GlobalAveragePool", "GlobalMaxPool", "LRN", "DepthToSpace", "SpaceToDepth" -> true;
      case "Resize" -> ResizeAxes.permuted(n, TO_NHWC) != null;
      case "BatchNormalization" -> n.intAttr("training_mode", 0) == 0
          && n.intAttr("spatial", 1) == 1 && onlyFirstOutputUsed(n);
      case "InstanceNormalization" -> true;
      case "GridSample" -> Facts.rank(n.input(1)) == 4;
      default -> false;
    };
  }

  private static boolean onlyFirstOutputUsed(Node n) {
    for (int k = 1; k < n.outputCount(); k++) {
      Value v = n.output(k);
      if (v != null && (v.hasUses() || v.isGraphOutput())) {
        return false;
      }
    }
    return true;
  }

  private static boolean constantWeight(Node n) {
    Value w = n.input(1);
    Value b = n.inputCount() > 2 ? n.input(2) : null;
    return w != null && w.constant() != null && w.constant().rank() == 4
        && w.constant().dtype() == DType.FLOAT && (b == null || Facts.rank(b) == 1);
  }

  private static void convert(Node n, Rewriter rw) {
    Graph g = n.graph();
    Value x = transpose(rw, n, n.input(0), TO_NHWC, n.input(0).name() + "_nhwc");
    Node nhwc;
    if (n.opType().equals("Resize")) {
      List<Value> in = new ArrayList<>(n.inputs());
      in.set(0, x);
      ResizeAxes.permuted(n, TO_NHWC).forEach((i, t) ->
          in.set(i, rw.constant(g, t, n.output(0).name() + "_nhwc_axes")));
      nhwc = rw.insertBefore(n, "Resize", in, 1, n.attributes(), n.output(0).name() + "_nhwc");
    } else {
      List<Value> in = new ArrayList<>(n.inputs());
      in.set(0, x);
      Map<String, Attribute> attrs = n.attributes();
      boolean conv = n.opType().equals("Conv") || n.opType().equals("FusedConv");
      String op = conv ? "NhwcConv" : "Nhwc" + n.opType();
      if (conv || n.opType().equals("ConvTranspose")) {
        long[] perm = conv ? OIHW_TO_HWIO : CMHW_TO_CHWM;
        in.set(1, rw.constant(g, Perms.moveConstant(n.input(1).constant(), Perms.inverse(perm)),
            n.input(1).name() + (conv ? "_hwio" : "_chwm")));
      }
      if (op.equals("NhwcBatchNormalization")) {
        attrs = new LinkedHashMap<>();
        attrs.put("epsilon", new Attribute.FloatAttr(n.floatAttr("epsilon", 1e-5f)));
      }
      if (op.equals("NhwcMaxPool")) {
        attrs = new LinkedHashMap<>(attrs);
        attrs.remove("storage_order");
      }
      nhwc = rw.insertBefore(n, OpCatalog.CONVOY_DOMAIN, 1, op, in, 1, attrs,
          n.output(0).name() + "_nhwc");
    }
    rw.setName(nhwc, n.name());
    rw.inferTypes(nhwc);
    Value back = transpose(rw, n, nhwc.output(0), TO_NCHW, n.output(0).name() + "_nchw");
    rw.replace(n.output(0), back);
    rw.erase(n);
  }

  private static Value transpose(Rewriter rw, Node anchor, Value v, long[] perm, String hint) {
    Node t = rw.insertBefore(anchor, "Transpose", List.of(v), 1,
        Map.of("perm", new Attribute.IntsAttr(perm)), hint);
    rw.inferTypes(t);
    return t.output(0);
  }
}

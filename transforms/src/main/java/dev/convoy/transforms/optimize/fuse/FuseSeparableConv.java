package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A depthwise-separable block, {@code [pointwise expansion ->] depthwise 2-D conv -> pointwise
 * projection} (MobileNetV2's inverted residuals with their ReLU6s and residual Add, ShuffleNet's
 * branches, MobileNet's first block), where each step is a Conv or a {@code convoy::FusedConv}
 * (bias, activation; the projection's residual Z), becomes one {@code
 * convoy::SeparableConv}, which runs the block channels-last inside with the same sums (see the
 * op). The depthwise conv has one output channel per input channel ({@code group} = both), a
 * static {@code [M, 1, kh, kw]} weight and a float32 rank-4 input of static channel count M; the
 * pointwise ones are stride-1 unpadded 1x1 convs of one group with static {@code [Q, M, 1, 1]}
 * weights. The depthwise output must be read by the projection alone; the expansion is taken in
 * only when its output is read by the depthwise conv alone (else the block starts at the
 * depthwise conv). No post_scale/post_shift anywhere, no residual but the projection's. Only for
 * the {@code cvy} target below O3 (O3's layout pass converts these convs to NHWC ones).
 */
public final class FuseSeparableConv implements MatchingRule<FuseSeparableConv.Found> {
  public static final String NAME = "fuse-separable-conv";

  /** The projection (root), the depthwise conv and the expansion (null when not taken in). */
  public record Found(Node project, Node depthwise, Node expand) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    // The projection is a Conv or a convoy FusedConv: two domains, so the rule checks the op.
    return Pattern.anyOp();
  }

  @Override
  public Match<Found> match(Node project, Rewriter rw) {
    if (!isConv(project)) {
      return Match.fail(project.name() + " is not a Conv or a convoy FusedConv");
    }
    String gate = Matchers.notNchwConvoy(rw, "O3 converts the convs to NHWC");
    if (gate != null) {
      return Match.fail(gate);
    }
    String no = notPointwise(project);
    if (no != null) {
      return Match.fail(no);
    }
    Value mid = project.input(0);
    Node dw = mid == null ? null : mid.producer();
    if (dw == null || dw.graph() != project.graph() || !isConv(dw)) {
      return Match.fail(project.name() + "'s input is not computed by a conv");
    }
    String notSole = Matchers.notSoleUse(mid, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    no = notDepthwise(dw);
    if (no != null) {
      return Match.fail(no);
    }
    long m = Facts.staticDims(dw.input(1))[0];
    if (Facts.staticDims(project.input(1))[1] != m) {
      return Match.fail(project.name() + "'s weight does not read " + m + " channels");
    }
    Node expand = dw.input(0).producer();
    boolean taken = expand != null && expand.graph() == dw.graph() && isConv(expand)
        && expand.inputCount() <= 3 && notPointwise(expand) == null
        && Matchers.notSoleUse(dw.input(0), 1) == null
        && Facts.staticDims(expand.input(1))[0] == m
        && Facts.dtype(expand.input(0)) == DType.FLOAT && Facts.rank(expand.input(0)) == 4;
    return Match.of(new Found(project, dw, taken ? expand : null));
  }

  private static boolean isConv(Node n) {
    return Matchers.convOrFusedConv(n) && !n.hasAttribute("post_scale")
        && !n.hasAttribute("post_shift");
  }

  /** Why {@code n} is not a float32 stride-1 unpadded 1x1 conv of one group, or null. */
  private static String notPointwise(Node n) {
    long[] w = n.inputCount() < 2 ? null : Facts.staticDims(n.input(1));
    if (w == null || w.length != 4 || w[2] != 1 || w[3] != 1 || n.intAttr("group", 1) != 1
        || Facts.dtype(n.input(0)) != DType.FLOAT) {
      return n.name() + " is not a float32 1x1 conv of one group with a static weight";
    }
    if (!all(n.intsAttr("strides"), 1) || !all(n.intsAttr("pads"), 0)
        || !List.of("NOTSET", "", "VALID").contains(n.stringAttr("auto_pad", "NOTSET"))
        || n.intsAttr("kernel_shape") != null && !all(n.intsAttr("kernel_shape"), 1)) {
      return n.name() + " is strided or padded";
    }
    return null;
  }

  /**
   * Why {@code n} is not a float32 2-D conv with one output channel per input channel of a
   * static count, a static weight and no residual, or null.
   */
  private static String notDepthwise(Node n) {
    long[] w = Facts.staticDims(n.input(1));
    Value in = n.input(0);
    boolean channels = Facts.rank(in) == 4 && Facts.shape(in).dim(1).isStatic();
    if (w == null || w.length != 4 || w[1] != 1 || !channels
        || Facts.shape(in).dim(1).size() != w[0] || n.intAttr("group", 1) != w[0]
        || Facts.dtype(in) != DType.FLOAT || n.inputCount() > 3) {
      return n.name() + " is not a float32 2-D depthwise conv (one output channel per input"
          + " channel) with a static weight and no residual";
    }
    long[] k = n.intsAttr("kernel_shape");
    if (k != null && !Arrays.equals(k, new long[] {w[2], w[3]})) {
      return n.name() + "'s kernel_shape disagrees with its weight";
    }
    return null;
  }

  private static boolean all(long[] v, long e) {
    return v == null || Arrays.stream(v).allMatch(x -> x == e);
  }

  @Override
  public void apply(Node project, Found f, Rewriter rw) {
    Node dw = f.depthwise();
    Node e = f.expand();
    List<Value> in = new ArrayList<>(Arrays.asList(e == null ? dw.input(0) : e.input(0),
        e == null ? null : e.input(1), e == null ? null : input(e, 2), dw.input(1), input(dw, 2),
        project.input(1), input(project, 2), input(project, 3)));
    while (in.get(in.size() - 1) == null) {
      in.remove(in.size() - 1);
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    for (String a : List.of("auto_pad", "dilations", "pads", "strides")) {
      if (dw.hasAttribute(a)) {
        attrs.put(a, dw.attributes().get(a));
      }
    }
    if (e != null) {
      activation(e, "expand_activation", attrs);
    }
    activation(dw, "depthwise_activation", attrs);
    activation(project, "activation", attrs);
    List<Node> matched = e == null ? List.of(project, dw) : List.of(project, dw, e);
    rw.fuse(project, matched, OpCatalog.CONVOY_DOMAIN, 1, "SeparableConv", in, attrs,
        project.name(), List.of(project.output(0)));
  }

  private static Value input(Node n, int i) {
    return i < n.inputCount() ? n.input(i) : null;
  }

  /** {@code n}'s activation and its parameters, if any, as attribute {@code name}. */
  private static void activation(Node n, String name, Map<String, Attribute> attrs) {
    if (!n.stringAttr("activation", "").isEmpty()) {
      attrs.put(name, n.attributes().get("activation"));
      Attribute p = n.attributes().get("activation_params");
      if (p != null) {
        attrs.put(name + "_params", p);
      }
    }
  }
}

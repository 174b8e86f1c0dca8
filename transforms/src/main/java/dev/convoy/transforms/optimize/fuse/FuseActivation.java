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
import dev.convoy.transforms.optimize.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An activation applied to the sole output of a float32 Conv, Gemm or {@code convoy::FusedMatMul}
 * becomes the producer's fused form, which applies it in place on its own output: {@code
 * convoy::FusedConv}/{@code FusedGemm}/{@code FusedMatMul} for the {@code cvy} target (Relu,
 * LeakyRelu, Sigmoid, Tanh, Clip, HardSigmoid, HardSwish, exact Gelu), ONNX Runtime's {@code
 * com.microsoft::FusedConv} (Relu, LeakyRelu, Sigmoid, Tanh, Clip, HardSigmoid: what its MLAS
 * activation takes) or {@code FusedGemm} (the same less Clip) for {@code --onnx-ops ort}. Clip
 * bounds must be constants (an omitted one is infinite, so infinities pass through as they do).
 * Nothing fires on the standard target. On the {@code cvy} target an unactivated {@code
 * convoy::FusedConv} (a conv with its residual Add, {@code fuse-conv-residual}) takes one too, and
 * so does a LayerNormalization (the standard op or {@code convoy::LayerNormalization}, say a
 * Gemm, LayerNorm, ReLU block) whose mean and inverse deviation outputs are not used: it becomes
 * {@code convoy::LayerNormalization} with the activation, one node where a small model pays for
 * two.
 */
public final class FuseActivation implements MatchingRule<FuseActivation.Found> {
  public static final String NAME = "fuse-activation";

  private static final Set<String> ACTIVATIONS = Set.of(
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish", "Gelu");
  private static final Set<String> ORT_CONV = Set.of(
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid");
  private static final Set<String> ORT_GEMM = Set.of(
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid");

  /** The producer to fuse into, the fused op's domain and type, the activation and parameters. */
  public record Found(Node producer, String domain, String fusedOp, String activation,
      float[] params) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    // Gelu comes in three domains (ONNX from opset 20, com.microsoft, convoy): the domain check
    // is the rule's first predicate.
    return Pattern.anyOp();
  }

  @Override
  public Match<Found> match(Node act, Rewriter rw) {
    if (!ACTIVATIONS.contains(act.opType()) || !geluOrDefaultDomain(act)) {
      return Match.fail(act.opType() + " is not an activation a fused op applies");
    }
    Target target = rw.options().target();
    if (!target.allowsFusedOps()) {
      return Match.fail("the target allows no fused ops");
    }
    Value x = act.input(0);
    Node p = x == null ? null : x.producer();
    if (p == null || p.graph() != act.graph()) {
      return Match.fail("the activation's input has no producer in its graph");
    }
    String notSole = Matchers.notSoleUse(x, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    if (Facts.dtype(x) != DType.FLOAT) {
      return Match.fail(x.name() + " is not float32");
    }
    String fused = fusedOp(p, target.convoyOps());
    if (fused == null) {
      return Match.fail(x.name() + " is not produced by Conv, Gemm, an unactivated FusedMatMul"
          + " or a LayerNormalization with only its normalized output used");
    }
    if (!target.convoyOps()) {
      Set<String> ort = fused.equals("FusedConv") ? ORT_CONV : ORT_GEMM;
      if (!ort.contains(act.opType())) {
        return Match.fail("ONNX Runtime's " + fused + " does not take " + act.opType());
      }
    }
    if (act.opType().equals("Gelu") && !act.stringAttr("approximate", "none").equals("none")) {
      return Match.fail("only the exact (erf) Gelu is fused");
    }
    float[] params = params(act);
    if (params == null) {
      return Match.fail("Clip bounds are not one-element constants");
    }
    String domain = fused.equals("LayerNormalization") ? OpCatalog.CONVOY_DOMAIN
        : target.fusedDomain();
    return Match.of(new Found(p, domain, fused, act.opType(), params));
  }

  private static boolean geluOrDefaultDomain(Node act) {
    return act.domain().isEmpty() || act.opType().equals("Gelu")
        && (act.domain().equals(Target.MICROSOFT) || act.domain().equals(OpCatalog.CONVOY_DOMAIN));
  }

  /** The fused op {@code p} becomes, or null when it cannot take an activation. */
  private static String fusedOp(Node p, boolean convoy) {
    if (p.domain().isEmpty() && p.is("Conv")) {
      return "FusedConv";
    }
    if (p.domain().isEmpty() && p.is("Gemm")) {
      return "FusedGemm";
    }
    if (convoy && p.domain().equals(OpCatalog.CONVOY_DOMAIN) && p.opType().equals("FusedMatMul")
        && p.stringAttr("activation", "").isEmpty()) {
      return "FusedMatMul";
    }
    if (convoy && unactivatedConv(p)) {
      return "FusedConv";
    }
    if (convoy && layerNormOfOutputOnly(p)) {
      return "LayerNormalization";
    }
    return null;
  }

  /**
   * Whether {@code p} is an unactivated LayerNormalization, standard (opset 17 and later) or
   * {@code convoy::}, whose mean and inverse deviation outputs no one reads: the fused node keeps
   * only the normalized output.
   */
  private static boolean layerNormOfOutputOnly(Node p) {
    boolean ln = p.opType().equals("LayerNormalization")
        && (p.domain().isEmpty() && p.graph().opsetVersion("") >= 17
        || p.domain().equals(OpCatalog.CONVOY_DOMAIN) && p.stringAttr("activation", "").isEmpty());
    if (!ln) {
      return false;
    }
    for (int k = 1; k < p.outputCount(); k++) {
      Value v = p.output(k);
      if (v != null && Matchers.notSoleUse(v, 0) != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code p} is a {@code convoy::FusedConv} with no activation and no scale or shift
   * after one (one {@code fuse-conv-residual} made): an activation after it is its own.
   */
  static boolean unactivatedConv(Node p) {
    return p.domain().equals(OpCatalog.CONVOY_DOMAIN) && p.opType().equals("FusedConv")
        && p.stringAttr("activation", "").isEmpty() && !p.hasAttribute("post_scale")
        && !p.hasAttribute("post_shift");
  }

  /** The activation's parameters in FusedConv's order, or null when they are not constants. */
  private static float[] params(Node act) {
    return switch (act.opType()) {
      case "LeakyRelu" -> new float[] {act.floatAttr("alpha", 0.01f)};
      case "HardSigmoid" -> new float[] {act.floatAttr("alpha", 0.2f), act.floatAttr("beta", 0.5f)};
      case "Clip" -> clipBounds(act);
      default -> new float[0];
    };
  }

  private static float[] clipBounds(Node clip) {
    if (clip.graph().opsetVersion("") < 11) {
      // Clip-6: bounds are attributes, defaulting to the float range.
      return new float[] {clip.floatAttr("min", -Float.MAX_VALUE),
          clip.floatAttr("max", Float.MAX_VALUE)};
    }
    float[] b = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
    for (int i = 1; i <= 2; i++) {
      Value v = i < clip.inputCount() ? clip.input(i) : null;
      if (v == null) {
        continue;
      }
      Double c = Matchers.scalar(v);
      if (c == null || v.constant().dtype() != DType.FLOAT) {
        return null;
      }
      b[i - 1] = c.floatValue();
    }
    return b;
  }

  @Override
  public void apply(Node act, Found f, Rewriter rw) {
    Node p = f.producer();
    Map<String, Attribute> attrs = new LinkedHashMap<>(p.attributes());
    attrs.put("activation", Attribute.StringAttr.of(f.activation()));
    boolean ortGemm = f.domain().equals(Target.MICROSOFT) && f.fusedOp().equals("FusedGemm");
    if (ortGemm) {
      String[] names = {"activation_alpha", "activation_beta"};
      for (int i = 0; i < f.params().length; i++) {
        attrs.put(names[i], new Attribute.FloatAttr(f.params()[i]));
      }
    } else if (f.params().length > 0) {
      attrs.put("activation_params", new Attribute.FloatsAttr(f.params()));
    }
    rw.fuse(act, List.of(act, p), f.domain(), 1, f.fusedOp(), p.inputs(), attrs, p.name(),
        List.of(act.output(0)));
  }
}

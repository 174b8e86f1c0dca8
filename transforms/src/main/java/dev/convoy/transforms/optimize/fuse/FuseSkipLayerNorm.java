package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The residual connection of a transformer, {@code LayerNormalization(Add(x, skip), gamma,
 * beta)} over the last axis only, with {@code x} and {@code skip} float32 of one shape (no
 * broadcasting) and 1-D gamma and beta, becomes one {@code SkipLayerNormalization(x, skip, gamma,
 * beta)}: {@code convoy::} for the {@code cvy} target, ONNX Runtime's {@code com.microsoft::} (3-D
 * inputs, what its kernel takes) for {@code --onnx-ops ort}. When the sum has other readers (a
 * pre-norm block's residual stream) they read the fused op's fourth output, the sum itself. The
 * LayerNormalization may be ONNX's (opset 17), ONNX Runtime's older one in the ONNX domain or
 * {@code convoy::LayerNormalization} without an activation (SkipLayerNormalization has none: the
 * activation would be lost); its mean and inverse-deviation outputs must be unread.
 */
public final class FuseSkipLayerNorm implements MatchingRule<FuseSkipLayerNorm.Found> {
  public static final String NAME = "fuse-skip-layer-norm";

  /** The Add, its two operands, and the domain of the fused op. */
  public record Found(Node add, Value x, Value skip, String domain) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    // LayerNormalization of the ONNX domain or of convoy: the domain is checked first.
    return Pattern.anyOp();
  }

  @Override
  public Match<Found> match(Node ln, Rewriter rw) {
    if (!ln.opType().equals("LayerNormalization")
        || !(ln.domain().isEmpty() || ln.domain().equals(OpCatalog.CONVOY_DOMAIN))) {
      return Match.fail(ln + " is not a LayerNormalization");
    }
    String activation = ln.stringAttr("activation", "");
    if (!activation.isEmpty()) {
      return Match.fail(ln + " applies activation " + activation
          + ", which SkipLayerNormalization has no place for");
    }
    Target target = rw.options().target();
    if (!target.allowsFusedOps()) {
      return Match.fail("the target allows no fused ops");
    }
    for (int k = 1; k < ln.outputCount(); k++) {
      Value stat = ln.output(k);
      if (stat != null && (stat.hasUses() || stat.isGraphOutput())) {
        return Match.fail(stat.name() + " (a statistic of the normalization) is read");
      }
    }
    Value sum = ln.input(0);
    int rank = Facts.rank(sum);
    long axis = ln.intAttr("axis", -1);
    if (rank < 1 || (axis < 0 ? axis + rank : axis) != rank - 1) {
      return Match.fail("the normalization is not over the last axis alone");
    }
    if (!target.convoyOps() && rank != 3) {
      return Match.fail("ONNX Runtime's SkipLayerNormalization takes 3-D inputs");
    }
    for (int i = 1; i < ln.inputCount(); i++) {
      Value v = ln.input(i);
      if (v != null && (v.constant() == null || v.constant().rank() != 1)) {
        return Match.fail(v.name() + " is not a constant vector");
      }
    }
    Node add = sum.producer();
    if (add == null || !add.is("Add") || !add.domain().isEmpty() || add.graph() != ln.graph()) {
      return Match.fail(sum.name() + " is not produced by Add");
    }
    Value x = add.input(0);
    Value skip = add.input(1);
    Shape sx = Facts.shape(x);
    if (Facts.dtype(x) != DType.FLOAT || Facts.dtype(skip) != DType.FLOAT || sx == null
        || !sx.hasRank() || !sx.equals(Facts.shape(skip)) || !sx.equals(Facts.shape(sum))
        || x.constant() != null || skip.constant() != null) {
      return Match.fail("the Add's operands are not two float32 tensors of the sum's shape");
    }
    String domain = target.fusedDomain();
    return Match.of(new Found(add, x, skip, domain));
  }

  @Override
  public void apply(Node ln, Found f, Rewriter rw) {
    Value sum = ln.input(0);
    List<Value> inputs = new ArrayList<>(List.of(f.x(), f.skip(), ln.input(1)));
    if (ln.inputCount() > 2 && ln.input(2) != null) {
      inputs.add(ln.input(2));
    }
    boolean sumRead = sum.isGraphOutput() || sum.uses().size() > 1;
    List<Value> replaced = Arrays.asList(ln.output(0), null, null, sumRead ? sum : null);
    // Before the Add: the sum's other readers may come before the normalization.
    rw.fuse(f.add(), List.of(ln, f.add()), f.domain(), 1, "SkipLayerNormalization", inputs,
        Map.of("epsilon", new Attribute.FloatAttr(ln.floatAttr("epsilon", 1e-5f))), ln.name(),
        sumRead ? replaced : replaced.subList(0, 1));
  }
}

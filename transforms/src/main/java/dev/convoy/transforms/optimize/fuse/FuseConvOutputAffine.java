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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float32 scalar Mul and then Add after an activated {@code convoy::FusedConv} (PP-LCNet's
 * learnable affine block, {@code act(conv) * a + b}, which the cvy target's other fusions leave as
 * two full passes over the feature map) become the conv's {@code post_scale} and {@code
 * post_shift}, applied in its epilogue while each output block is in cache: one step per rule
 * application, the Mul (either operand order) into a conv with neither, the Add into one without
 * a shift. Exact: the epilogue rounds the product and then the sum as the two ops do. Only a
 * constant of one element whose broadcast keeps the conv's output shape; only after an activation
 * (a constant Mul or Add right after a plain Conv is O1's {@code fuse-conv-mul}/{@code
 * fuse-conv-add}). The conv's output must be read by the Mul or Add alone.
 */
public final class FuseConvOutputAffine implements MatchingRule<FuseConvOutputAffine.Found> {
  public static final String NAME = "fuse-conv-output-affine";

  /** The conv, the attribute it gets and its value. */
  public record Found(Node conv, String attribute, float value) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul", "Add");
  }

  @Override
  public Match<Found> match(Node op, Rewriter rw) {
    if (!rw.options().target().convoyOps()) {
      return Match.fail("the target has no convoy ops");
    }
    int side = Matchers.scalarSide(op, true);
    if (side < 0) {
      return Match.fail("neither operand of " + op.name() + " is a one-element constant");
    }
    Value c = op.input(side);
    Value y = op.input(1 - side);
    Node conv = y.producer();
    if (conv == null || conv.graph() != op.graph() || !conv.opType().equals("FusedConv")
        || !conv.domain().equals(OpCatalog.CONVOY_DOMAIN)) {
      return Match.fail(y.name() + " is not produced by a convoy::FusedConv");
    }
    if (conv.stringAttr("activation", "").isEmpty()) {
      return Match.fail(conv.name() + " has no activation");
    }
    boolean mul = op.is("Mul");
    if (conv.hasAttribute("post_shift") || mul && conv.hasAttribute("post_scale")) {
      return Match.fail(conv.name() + " already has a " + (mul ? "scale or shift" : "shift"));
    }
    String notSole = Matchers.notSoleUse(y, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    if (Facts.dtype(y) != DType.FLOAT || c.constant().dtype() != DType.FLOAT) {
      return Match.fail(op.name() + " is not float32");
    }
    if (!Matchers.keepsShape(y, c)) {
      return Match.fail(c.name() + " broadcasts " + y.name() + " to another shape");
    }
    return Match.of(new Found(conv, mul ? "post_scale" : "post_shift",
        Matchers.scalar(c).floatValue()));
  }

  @Override
  public void apply(Node op, Found f, Rewriter rw) {
    Node conv = f.conv();
    Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
    attrs.put(f.attribute(), new Attribute.FloatAttr(f.value()));
    rw.fuse(op, List.of(op, conv), OpCatalog.CONVOY_DOMAIN, 1, "FusedConv", conv.inputs(), attrs,
        conv.name(), List.of(op.output(0)));
  }
}

package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * For {@code --onnx-ops ort}: a whole BERT-style attention block, the head split of Q, K and V
 * ({@code [B, S, H*D]} to {@code [B, H, S, D]}), the scaled dot-product core with its optional
 * additive mask, and the head merge, becomes ONNX Runtime's {@code
 * com.microsoft::MultiHeadAttention(query, key, value, attention_bias) {num_heads, scale}}, on
 * the proofs of {@code fuse-attention} (the core) and {@code fuse-attention-heads} (the split and
 * merge). ONNX Runtime takes the mask only as {@code [B or 1, H or 1, Sq, Skv]}: a mask that
 * broadcasts over the queries or keys (BERT's {@code [B, 1, 1, Skv]} padding mask) or has fewer
 * dims is first expanded to that shape by an {@code Expand} whose target takes the sequence
 * lengths from the query and key shapes at run time.
 */
public final class FuseMultiHeadAttention implements MatchingRule<FuseMultiHeadAttention.Found> {
  public static final String NAME = "fuse-multi-head-attention";

  /** The first default-domain opset whose Slice takes its bounds as inputs. */
  private static final int SLICE_INPUTS_OPSET = 10;

  /** What was found: the core, its head split and merge, and which mask dims need expanding. */
  public record Found(FuseAttention.Found core, FuseAttentionHeads.Found heads,
      boolean expandQueries, boolean expandKeys) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("MatMul");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    Target t = rw.options().target();
    if (!t.ortOps() || t.convoyOps()) {
      return Match.fail("the target does not write ONNX Runtime's ops into ONNX");
    }
    if (!root.domain().isEmpty()) {
      return Match.fail(root + " is not an ONNX MatMul");
    }
    if (Facts.rank(root.output(0)) != 4) {
      return Match.fail(root.output(0).name() + " is not [B, H, S, D]");
    }
    Match<FuseAttention.Found> core = FuseAttention.core(root);
    if (!core.ok()) {
      return Match.fail(core.reason());
    }
    FuseAttention.Found c = core.value();
    Match<FuseAttentionHeads.Found> heads =
        FuseAttentionHeads.around(root, c.q(), c.kt(), c.v(), c.mask(), 4);
    if (!heads.ok()) {
      return Match.fail(heads.reason());
    }
    boolean expandQueries = false;
    boolean expandKeys = false;
    if (c.mask() != null) {
      Shape m = Facts.shape(c.mask());
      Shape q = Facts.shape(heads.value().q());
      Shape k = Facts.shape(heads.value().k());
      // fuse-attention-heads proved each mask dim 1 or the scores' (the key dim: 1 or Skv).
      expandQueries = m.rank() < 2
          || !FuseAttentionHeads.provablyEqual(m.dim(m.rank() - 2), q.dim(1));
      expandKeys = m.dim(m.rank() - 1).equals(Dim.of(1))
          && !FuseAttentionHeads.provablyEqual(k.dim(1), Dim.of(1));
      if ((expandQueries || expandKeys)
          && root.graph().opsetVersion("") < SLICE_INPUTS_OPSET) {
        return Match.fail("the mask " + c.mask().name() + " " + m + " needs expanding, which"
            + " needs opset " + SLICE_INPUTS_OPSET);
      }
    }
    return Match.of(new Found(c, heads.value(), expandQueries, expandKeys));
  }

  @Override
  public void apply(Node root, Found f, Rewriter rw) {
    FuseAttentionHeads.Found h = f.heads();
    List<Value> inputs = new ArrayList<>(List.of(h.q(), h.k(), h.v()));
    Value mask = f.core().mask();
    if (mask != null) {
      inputs.addAll(Arrays.asList(null, null, attentionBias(root, f, rw)));
    }
    List<Node> core = new ArrayList<>(List.of(root));
    core.addAll(f.core().nodes());
    rw.fuse(root, h.absorbed(core), Target.MICROSOFT, 1, "MultiHeadAttention", inputs,
        Map.of("num_heads", new Attribute.IntAttr(h.heads()),
            "scale", new Attribute.FloatAttr((float) f.core().scale())),
        root.name(), List.of(h.output()));
  }

  /**
   * The mask as ONNX Runtime reads it, {@code [B or 1, H or 1, Sq, Skv]}: itself when it is
   * already that, else {@code Expand(mask, [1, 1, Sq or 1, Skv or 1])} with the lengths it
   * broadcasts over read from the query's and key's shapes.
   */
  private static Value attentionBias(Node root, Found f, Rewriter rw) {
    Value mask = f.core().mask();
    if (Facts.rank(mask) == 4 && !f.expandQueries() && !f.expandKeys()) {
      return mask;
    }
    Value one = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, 1L), "mha_one");
    List<Value> dims = new ArrayList<>(List.of(one, one,
        f.expandQueries() ? length(root, f.heads().q(), rw) : one,
        f.expandKeys() ? length(root, f.heads().k(), rw) : one));
    Node target = rw.insertBefore(root, "Concat", dims, 1,
        Map.of("axis", new Attribute.IntAttr(0)), mask.name() + "_bias_shape");
    rw.inferTypes(target);
    Node expand = rw.insertBefore(root, "Expand", List.of(mask, target.output(0)), 1, Map.of(),
        mask.name() + "_bias");
    rw.inferTypes(expand);
    return expand.output(0);
  }

  /** {@code Slice(Shape(x), [1], [2])}: the sequence length of {@code x [B, S, E]}. */
  private static Value length(Node root, Value x, Rewriter rw) {
    Node shape = rw.insertBefore(root, "Shape", List.of(x), 1, Map.of(), x.name() + "_shape");
    rw.inferTypes(shape);
    Value from = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, 1L), "mha_seq_from");
    Value to = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, 2L), "mha_seq_to");
    Node slice = rw.insertBefore(root, "Slice", List.of(shape.output(0), from, to), 1, Map.of(),
        x.name() + "_length");
    rw.inferTypes(slice);
    return slice.output(0);
  }
}

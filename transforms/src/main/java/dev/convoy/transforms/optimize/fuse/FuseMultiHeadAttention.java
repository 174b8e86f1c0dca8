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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole BERT-style attention block, the head split of Q, K and V ({@code [B, S, H*D]} to
 * {@code [B, H, S, D]}), the scaled dot-product core with its optional additive mask, and the
 * head merge, becomes one op on the merged {@code [B, S, H*D]} tensors, on the proofs of {@code
 * fuse-attention} (the core) and {@code fuse-attention-heads} (the split and merge): for {@code
 * --onnx-ops ort} ONNX Runtime's {@code com.microsoft::MultiHeadAttention(query, key, value,
 * attention_bias) {num_heads, scale}}; for standard ONNX from opset 23 ONNX's {@code
 * Attention(Q, K, V, attn_mask) {q_num_heads = kv_num_heads = H, scale}} in its 3-D form. ONNX
 * Runtime takes the mask only as {@code [B or 1, H or 1, Sq, Skv]}: a mask that broadcasts over
 * the queries or keys (BERT's {@code [B, 1, 1, Skv]} padding mask) or has fewer dims is first
 * expanded to that shape by an {@code Expand} whose target takes the lengths at run time. For
 * self-attention (Q and K provably of the same rows, {@link SameRows}) the query length is read
 * from the mask itself, so every layer of a model builds the same expansion and CSE keeps one.
 */
public final class FuseMultiHeadAttention implements MatchingRule<FuseMultiHeadAttention.Found> {
  public static final String NAME = "fuse-multi-head-attention";

  /** The first default-domain opset whose Slice takes its bounds as inputs. */
  private static final int SLICE_INPUTS_OPSET = 10;

  /**
   * What was found: the core, its head split and merge, which mask dims need expanding, whether
   * the query length may be read from the mask, and whether the fused op is ONNX's Attention.
   */
  public record Found(FuseAttention.Found core, FuseAttentionHeads.Found heads,
      boolean expandQueries, boolean expandKeys, boolean queriesFromMask, boolean standard) {}

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
    if (t.convoyOps()) {
      return Match.fail("the target writes convoy ops (fuse-attention-heads)");
    }
    boolean standard = !t.ortOps();
    if (standard && root.graph().opsetVersion("") < FuseAttention.STANDARD_OPSET) {
      return Match.fail("the target does not write ONNX Runtime's ops into ONNX and ONNX's"
          + " Attention needs opset " + FuseAttention.STANDARD_OPSET);
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
    boolean queriesFromMask = false;
    if (c.mask() != null) {
      Shape m = Facts.shape(c.mask());
      Value q = heads.value().q();
      Value k = heads.value().k();
      // fuse-attention-heads proved each mask dim 1 or the scores' (the key dim: 1 or Skv).
      expandQueries = m.rank() < 2
          || !FuseAttentionHeads.provablyEqual(m.dim(m.rank() - 2), Facts.shape(q).dim(1));
      expandKeys = m.dim(m.rank() - 1).equals(Dim.of(1))
          && !FuseAttentionHeads.provablyEqual(Facts.shape(k).dim(1), Dim.of(1));
      // The mask's key dim is Skv (or 1 where Skv is 1: else the original fails), which is Sq.
      queriesFromMask = !expandKeys && SameRows.of(q, k);
      if ((expandQueries || expandKeys)
          && root.graph().opsetVersion("") < SLICE_INPUTS_OPSET) {
        return Match.fail("the mask " + c.mask().name() + " " + m + " needs expanding, which"
            + " needs opset " + SLICE_INPUTS_OPSET);
      }
    }
    return Match.of(new Found(c, heads.value(), expandQueries, expandKeys, queriesFromMask,
        standard));
  }

  @Override
  public void apply(Node root, Found f, Rewriter rw) {
    FuseAttentionHeads.Found h = f.heads();
    List<Value> inputs = new ArrayList<>(List.of(h.q(), h.k(), h.v()));
    Value mask = f.core().mask();
    if (mask != null && !f.standard()) {
      inputs.addAll(Arrays.asList(null, null));
    }
    if (mask != null) {
      inputs.add(attentionBias(root, f, rw));
    }
    List<Node> core = new ArrayList<>(List.of(root));
    core.addAll(f.core().nodes());
    Attribute scale = new Attribute.FloatAttr((float) f.core().scale());
    if (f.standard()) {
      Map<String, Attribute> attrs = new HashMap<>(Map.of("scale", scale,
          "q_num_heads", new Attribute.IntAttr(h.heads()),
          "kv_num_heads", new Attribute.IntAttr(h.heads())));
      rw.fuse(root, h.absorbed(core), "", FuseAttention.STANDARD_OPSET, "Attention", inputs,
          attrs, root.name(), List.of(h.output()));
      return;
    }
    rw.fuse(root, h.absorbed(core), Target.MICROSOFT, 1, "MultiHeadAttention", inputs,
        Map.of("num_heads", new Attribute.IntAttr(h.heads()), "scale", scale),
        root.name(), List.of(h.output()));
  }

  /**
   * The mask as ONNX Runtime reads it, {@code [B or 1, H or 1, Sq, Skv]}: itself when it is
   * already that, else {@code Expand(mask, [1, 1, Sq or 1, Skv or 1])} with the lengths it
   * broadcasts over read from the mask's (self-attention) or the query's and key's shapes.
   */
  private static Value attentionBias(Node root, Found f, Rewriter rw) {
    Value mask = f.core().mask();
    if (Facts.rank(mask) == 4 && !f.expandQueries() && !f.expandKeys()) {
      return mask;
    }
    Value one = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, 1L), "mha_one");
    Value queries = !f.expandQueries() ? one
        : f.queriesFromMask() ? length(root, mask, Facts.rank(mask) - 1, rw)
        : length(root, f.heads().q(), 1, rw);
    List<Value> dims = new ArrayList<>(List.of(one, one, queries,
        f.expandKeys() ? length(root, f.heads().k(), 1, rw) : one));
    Node target = rw.insertBefore(root, "Concat", dims, 1,
        Map.of("axis", new Attribute.IntAttr(0)), mask.name() + "_bias_shape");
    rw.inferTypes(target);
    Node expand = rw.insertBefore(root, "Expand", List.of(mask, target.output(0)), 1, Map.of(),
        mask.name() + "_bias");
    rw.inferTypes(expand);
    return expand.output(0);
  }

  /** {@code Slice(Shape(x), [axis], [axis + 1])}: dim {@code axis} of {@code x}. */
  private static Value length(Node root, Value x, int axis, Rewriter rw) {
    Node shape = rw.insertBefore(root, "Shape", List.of(x), 1, Map.of(), x.name() + "_shape");
    rw.inferTypes(shape);
    Value from = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, axis), "mha_dim_from");
    Value to = rw.constant(root.graph(), Tensor.ofLongs(new long[] {1}, axis + 1L), "mha_dim_to");
    Node slice = rw.insertBefore(root, "Slice", List.of(shape.output(0), from, to), 1, Map.of(),
        x.name() + "_length");
    rw.inferTypes(slice);
    return slice.output(0);
  }
}

package dev.convoy.transforms.differential;

/**
 * Transformer-shaped blocks over an [N, S, D] value: LayerNorm and RMSNorm chains (epsilon inside
 * or outside the square root, reduced over the last axis or not), erf and tanh GELU with their
 * constants on or off, MatMul + bias (weights transposed or not, bias per column or full),
 * residual + normalization, gated activations, reductions, and scaled dot-product attention with
 * heads and a mask.
 */
final class SequenceBlocks extends Blocks {
  SequenceBlocks(ModelText m, String floatType) {
    super(m, floatType);
  }

  V any(V x) {
    return switch (pick(13)) {
      case 0, 1 -> layerNorm(x);
      case 2 -> rmsNorm(x);
      case 3, 11 -> new V(geluErf(x.name()), x.dims());
      case 12 -> new V(identity(x.name()), x.dims());
      case 4 -> new V(geluTanh(x.name()), x.dims());
      case 5 -> linear(x, oneOf(4L, 8L, x.dim(2)));
      case 6 -> mlp(x);
      case 7 -> skipNorm(x);
      case 8 -> gated(x);
      case 9 -> reduceBlock(x);
      default -> new V(activation(x.name()), x.dims());
    };
  }

  V layerNorm(V x) {
    long d = x.dim(-1);
    long[] axes = chance(0.85) ? (chance(0.5) ? dims(-1) : dims(2)) : dims(1);
    String mean = reduce("ReduceMean", x.name(), axes, true);
    String diff = m.node("Sub", "", x.name(), mean);
    tap(diff);
    String sq = chance(0.7) ? m.node("Pow", "", diff, scalarT("two", near(2)))
        : m.node("Mul", "", diff, diff);
    String var = reduce("ReduceMean", sq, axes, true);
    String eps = scalarT("eps", oneOf(1e-5, 1e-6, 1e-12));
    String den;
    if (chance(0.85)) {
      den = m.node("Sqrt", "", m.node("Add", "", var, eps));
    } else {
      den = m.node("Add", "", m.node("Sqrt", "", var), eps);
    }
    tap(den);
    String n = chance(0.8) ? m.node("Div", "", diff, den)
        : m.node("Mul", "", diff, m.node("Reciprocal", "", den));
    if (chance(0.85)) {
      n = m.node("Mul", "", n, weights("gamma", chance(0.8) ? dims(d) : dims(1, 1, d), 0.5, 1.5));
      if (chance(0.8)) {
        n = m.node("Add", "", n, weights("beta", dims(d), -0.5, 0.5));
      }
    }
    return new V(n, x.dims());
  }

  V rmsNorm(V x) {
    long d = x.dim(-1);
    String sq = chance(0.6) ? m.node("Pow", "", x.name(), scalarT("two", near(2)))
        : m.node("Mul", "", x.name(), x.name());
    String ms = reduce("ReduceMean", sq, chance(0.9) ? dims(-1) : dims(1), true);
    String r = m.node("Sqrt", "", m.node("Add", "", ms, scalarT("eps", oneOf(1e-5, 1e-6))));
    tap(r);
    String n = chance(0.5) ? m.node("Div", "", x.name(), r)
        : m.node("Mul", "", x.name(), m.node("Reciprocal", "", r));
    return new V(m.node("Mul", "", n, weights("gamma", dims(d), 0.5, 1.5)), x.dims());
  }

  /** x * 0.5 * (1 + erf(x / sqrt 2)) in the orders exporters write it. */
  String geluErf(String x) {
    String scaled = chance(0.7) ? m.node("Div", "", x, scalarT("sqrt2", near(Math.sqrt(2))))
        : m.node("Mul", "", x, scalarT("inv_sqrt2", near(1 / Math.sqrt(2))));
    String e = m.node("Erf", "", scaled);
    tap(e);
    String one = m.node("Add", "", e, scalarT("one", near(1)));
    String half = scalarT("half", chance(0.9) ? near(0.5) : 0.4999);
    return switch (pick(3)) {
      case 0 -> m.node("Mul", "", m.node("Mul", "", x, half), one);
      case 1 -> m.node("Mul", "", m.node("Mul", "", x, one), half);
      default -> m.node("Mul", "", x, m.node("Mul", "", one, half));
    };
  }

  /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  String geluTanh(String x) {
    String cube = chance(0.6) ? m.node("Pow", "", x, scalarT("three", near(3)))
        : m.node("Mul", "", m.node("Mul", "", x, x), x);
    String inner = m.node("Add", "", x, m.node("Mul", "", cube, scalarT("c", near(0.044715))));
    String th = m.node("Tanh", "", m.node("Mul", "", inner,
        scalarT("k", near(Math.sqrt(2 / Math.PI)))));
    tap(th);
    String one = m.node("Add", "", th, scalarT("one", 1));
    return m.node("Mul", "", m.node("Mul", "", x, scalarT("half", near(0.5))), one);
  }

  /** MatMul with a [D, E] weight (or a transposed [E, D] one) and a bias of seeded shape. */
  V linear(V x, long e) {
    long d = x.dim(-1);
    double bound = 1 / Math.sqrt(d);
    String w;
    if (chance(0.25)) {
      w = m.node("Transpose", "perm=[1, 0]", weights("wt", dims(e, d), -bound, bound));
    } else {
      w = weights("w", dims(d, e), -bound, bound);
    }
    String y = m.node("MatMul", "", x.name(), w);
    if (chance(0.8)) {
      tap(y);
      String b = switch (pick(5)) {
        case 0 -> weights("bfull", dims(x.dim(1), e), -0.5, 0.5);
        case 1 -> weights("b1", dims(1, 1, e), -0.5, 0.5);
        default -> weights("b", dims(e), -0.5, 0.5);
      };
      y = chance(0.7) ? m.node("Add", "", y, b) : m.node("Add", "", b, y);
    }
    return new V(y, dims(x.dim(0), x.dim(1), e));
  }

  V mlp(V x) {
    V h = linear(x, 2 * x.dim(2));
    String a = switch (pick(4)) {
      case 0 -> geluErf(h.name());
      case 1 -> geluTanh(h.name());
      case 2 -> m.node("Relu", "", h.name());
      default -> activation(h.name());
    };
    return linear(new V(a, h.dims()), x.dim(2));
  }

  V skipNorm(V x) {
    V y = linear(x, x.dim(2));
    String sum = chance(0.5) ? m.node("Add", "", x.name(), y.name())
        : m.node("Add", "", y.name(), x.name());
    tap(sum);
    V s = new V(sum, x.dims());
    if (m.opset >= 17 && chance(0.3)) {
      long d = x.dim(2);
      return new V(m.nodeN("LayerNormalization", "axis=-1, epsilon=" + oneOf(1e-5f, 1e-12f), 1,
          sum, weights("g", dims(d), 0.5, 1.5), weights("b", dims(d), -0.5, 0.5))[0], x.dims());
    }
    return layerNorm(s);
  }

  /** a * act(b) with a and b the two halves of one projection. */
  V gated(V x) {
    V h = linear(x, 2 * x.dim(2));
    String[] ab = m.nodeN("Split", "axis=-1", 2, h.name(), m.ints("split", x.dim(2), x.dim(2)));
    String g = oneOf("Sigmoid", "Tanh", "Gelu-erf");
    String act = g.equals("Gelu-erf") ? geluErf(ab[1]) : m.node(g, "", ab[1]);
    return new V(m.node("Mul", "", ab[0], act), x.dims());
  }

  V reduceBlock(V x) {
    String op = oneOf("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd");
    long[] axes = oneOf(dims(-1), dims(1), dims(-2, -1), dims(0));
    String r = reduce(op, x.name(), axes, true);
    tap(r);
    String y = m.node(oneOf("Sub", "Add", "Mul"), "", x.name(), r);
    return new V(y, x.dims());
  }

  /**
   * Multi-head self attention: Q, K, V projections, heads split by Reshape + Transpose, scores
   * scaled by a Div or Mul (on the scores or on Q and K), a mask added, Softmax over the keys,
   * heads merged back, an output projection.
   */
  V attention(V x, String mask) {
    long s = x.dim(1);
    long d = x.dim(2);
    long heads = d % 4 == 0 && chance(0.6) ? 2 : 1;
    long hd = d / heads;
    String q = heads(linear(x, d).name(), heads, hd, dims(0, 2, 1, 3));
    String k = heads(linear(x, d).name(), heads, hd, chance(0.8) ? dims(0, 2, 3, 1) : null);
    String v = heads(linear(x, d).name(), heads, hd, dims(0, 2, 1, 3));
    double scale = near(1 / Math.sqrt(hd));
    String scores;
    if (chance(0.3)) {
      String r = scalarT("root", Math.sqrt(scale));
      scores = m.node("MatMul", "", m.node("Mul", "", q, r), m.node("Mul", "", k, r));
    } else {
      scores = m.node("MatMul", "", q, k);
      tap(scores);
      scores = chance(0.5) ? m.node("Div", "", scores, scalarT("sqrt_d", 1 / scale))
          : m.node("Mul", "", scores, scalarT("scale", scale));
    }
    if (mask != null) {
      scores = chance(0.8) ? m.node("Add", "", scores, mask) : m.node("Add", "", mask, scores);
    }
    int axis = chance(0.9) ? oneOf(-1, 3) : 2;
    String p = m.node("Softmax", "axis=" + axis, scores);
    tap(p);
    String o = m.node("MatMul", "", p, v);
    String merged = m.node("Reshape", "", m.node("Transpose", "perm=[0, 2, 1, 3]", o),
        m.ints("shape", 0, s, d));
    return linear(new V(merged, x.dims()), d);
  }

  /**
   * A transformer encoder layer as exporters write BERT (post-norm: normalize after each residual
   * Add) or ViT (pre-norm: normalize each branch's input): self attention and a GELU MLP, each in
   * a residual, normalized by a LayerNormalization op (opset 17+) or its decomposed chain; the
   * MLP's GELU as erf, tanh, or the Gelu op (opset 20+).
   */
  V transformerLayer(V x, String mask) {
    if (chance(0.5)) {
      V h = residualAdd(x, attention(norm(x), mask));
      return residualAdd(h, geluMlp(norm(h)));
    }
    V h = norm(residualAdd(x, attention(x, mask)));
    return norm(residualAdd(h, geluMlp(h)));
  }

  private V residualAdd(V x, V branch) {
    tap(branch.name());
    String sum = chance(0.7) ? m.node("Add", "", x.name(), branch.name())
        : m.node("Add", "", branch.name(), x.name());
    return new V(sum, x.dims());
  }

  /**
   * LayerNormalization over the last axis: the op (opset 17+) or the decomposed chain, sometimes
   * followed by an activation (a rule fuses one into the normalization).
   */
  V norm(V x) {
    V n;
    if (m.opset >= 17 && chance(0.6)) {
      long d = x.dim(-1);
      n = new V(m.nodeN("LayerNormalization", "axis=-1, epsilon=" + oneOf(1e-5f, 1e-6f, 1e-12f), 1,
          x.name(), weights("g", dims(d), 0.5, 1.5), weights("b", dims(d), -0.5, 0.5))[0],
          x.dims());
    } else {
      n = layerNorm(x);
    }
    if (chance(0.15)) {
      tap(n.name());
      n = new V(m.node(oneOf("Relu", "Tanh", "Sigmoid"), "", n.name()), x.dims());
    }
    return n;
  }

  /** Linear to 2D or 4D, GELU (erf, tanh or the Gelu op), linear back to D. */
  V geluMlp(V x) {
    V h = linear(x, oneOf(2L, 4L) * x.dim(2));
    String a = switch (pick(m.opset >= 20 ? 4 : 3)) {
      case 0, 1 -> geluErf(h.name());
      case 2 -> geluTanh(h.name());
      default -> m.node("Gelu", chance(0.5) ? "" : "approximate=\"tanh\"", h.name());
    };
    return linear(new V(a, h.dims()), x.dim(2));
  }

  /** [N, S, H*hd] to [N, H, S, hd] (or [N, H, hd, S] for keys with {@code perm} (0,2,3,1)). */
  private String heads(String x, long heads, long hd, long[] perm) {
    String r = m.node("Reshape", "", x, m.ints("shape", 0, -1, heads, hd));
    if (perm == null) {
      String t1 = m.node("Transpose", "perm=[0, 2, 1, 3]", r);
      return m.node("Transpose", "perm=[0, 1, 3, 2]", t1);
    }
    return m.node("Transpose", "perm=" + ModelText.list(perm), r);
  }
}

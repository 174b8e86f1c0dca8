package dev.convoy.transforms.differential;

/**
 * CNN-shaped blocks over an [N, C, H, W] value: convolutions with their attributes varied
 * (kernel, strides, pads or auto_pad, dilations, groups) followed by BatchNormalization, per-channel
 * or full affine ops and activations; residuals, squeeze-excitation, pooling, Pad, Resize,
 * depth-to-space and channel-shuffle reshapes, Transpose chains, slices and concatenation; a
 * scalar Mul / Add after an activated Conv, SPP max-pool pyramids, and the ops a channels-last
 * region must carry its layout through (axis and axes attributes, Pad, Slice, Transpose,
 * Reshape across channels, Resize, DepthToSpace, GridSample) between two Convs.
 */
final class ImageBlocks extends Blocks {
  ImageBlocks(ModelText m, String floatType) {
    super(m, floatType);
  }

  V any(V x) {
    return switch (pick(22)) {
      case 19 -> convActScalar(x);
      case 20 -> sppPyramid(x);
      case 21 -> layoutSensitive(x);
      case 16 -> head(x);
      case 17 -> reshapeChain(x);
      case 18 -> gather(x);
      case 0, 1, 2 -> convBnAct(x);
      case 3, 14 -> convAffine(x);
      case 15 -> new V(identity(x.name()), x.dims());
      case 4 -> residual(x);
      case 5 -> squeezeExcite(x);
      case 6 -> pool(x);
      case 7 -> padThen(x);
      case 8 -> resize(x);
      case 9 -> depthToSpace(x);
      case 10 -> channelShuffle(x);
      case 11 -> transposeChain(x);
      case 12 -> sliceConcat(x);
      default -> depthwisePointwise(x);
    };
  }

  /** A Conv with seeded attributes; the output dims follow ONNX's formula. */
  V conv(V x, long cout, int group, boolean bias) {
    long cin = x.dim(1);
    long k = oneOf(1L, 3L, 3L, 5L);
    long s = chance(0.25) ? 2 : 1;
    long d = k > 1 && chance(0.15) ? 2 : 1;
    long ek = (k - 1) * d + 1;
    long h = x.dim(2);
    long w = x.dim(3);
    String attrs;
    long oh;
    long ow;
    int mode = pick(6);
    if ((mode == 0 || mode == 1) && d == 1) {
      attrs = "auto_pad=\"" + (mode == 0 ? "SAME_UPPER" : "SAME_LOWER") + "\"";
      oh = (h + s - 1) / s;
      ow = (w + s - 1) / s;
    } else if (mode == 2 && h >= ek && w >= ek) {
      attrs = "auto_pad=\"VALID\"";
      oh = (h - ek) / s + 1;
      ow = (w - ek) / s + 1;
    } else {
      long pt = pick((int) ek);
      long pl = pick((int) ek);
      long pb = mode == 3 ? pick((int) ek) : pt;
      long pr = mode == 3 ? pick((int) ek) : pl;
      if (h + pt + pb < ek || w + pl + pr < ek) {
        pt = pb = pl = pr = ek / 2;
      }
      attrs = "pads=" + ModelText.list(pt, pl, pb, pr);
      oh = (h + pt + pb - ek) / s + 1;
      ow = (w + pl + pr - ek) / s + 1;
    }
    attrs += ", kernel_shape=" + ModelText.list(k, k) + ", strides=" + ModelText.list(s, s);
    if (d > 1) {
      attrs += ", dilations=" + ModelText.list(d, d);
    }
    if (group > 1) {
      attrs += ", group=" + group;
    }
    double bound = 1.5 / Math.sqrt(cin / group * k * k);
    String wv = weights("w", dims(cout, cin / group, k, k), -bound, bound);
    String y = bias
        ? m.node("Conv", attrs, x.name(), wv, weights("b", dims(cout), -0.5, 0.5))
        : m.node("Conv", attrs, x.name(), wv);
    return new V(y, dims(x.dim(0), cout, oh, ow));
  }

  V convBnAct(V x) {
    long cout = oneOf(2L, 4L, 6L, 8L);
    V c = conv(x, cout, 1, chance(0.6));
    String y = c.name();
    if (chance(0.7)) {
      tap(y);
      y = batchNorm(y, cout);
    }
    tap(y);
    return new V(activation(y), c.dims());
  }

  String batchNorm(String x, long c) {
    String scale = weights("gamma", dims(c), 0.5, 1.5);
    String bias = weights("beta", dims(c), -0.5, 0.5);
    String mean = weights("mean", dims(c), -0.5, 0.5);
    String var = weights("var", dims(c), 0.2, 2);
    return m.node("BatchNormalization", "epsilon=" + oneOf(1e-5f, 1e-3f, 0.1f), x, scale, bias,
        mean, var);
  }

  /** Conv then Add / Mul by a scalar, a per-channel tensor, or one that is not per-channel. */
  V convAffine(V x) {
    long cout = oneOf(3L, 4L);
    V c = conv(x, cout, 1, chance(0.5));
    String y = c.name();
    int n = 1 + pick(2);
    for (int i = 0; i < n; i++) {
      tap(y);
      String k = affineOperand(c);
      String op = oneOf("Add", "Mul", "Sub", "Div");
      y = chance(0.7) || op.equals("Sub") || op.equals("Div")
          ? m.node(op, "", y, k) : m.node(op, "", k, y);
    }
    return new V(y, c.dims());
  }

  /** An operand broadcasting against {@code c}: scalar, per-channel, per-row or full. */
  String affineOperand(V c) {
    long ch = c.dim(1);
    return switch (pick(6)) {
      case 0 -> weights("s", dims(), 0.5, 1.5);
      case 1 -> weights("pc", dims(ch, 1, 1), 0.5, 1.5);
      case 2 -> weights("pc", dims(1, ch, 1, 1), 0.5, 1.5);
      case 3 -> weights("row", dims(c.dim(3)), 0.5, 1.5);
      case 4 -> weights("one", dims(1), 0.5, 1.5);
      default -> weights("full", dims(1, ch, c.dim(2), c.dim(3)), 0.5, 1.5);
    };
  }

  V residual(V x) {
    long ch = x.dim(1);
    V a = convSame(x, ch);
    String y = activation(a.name());
    if (chance(0.5)) {
      y = convSame(new V(y, x.dims()), ch).name();
    }
    tap(y);
    String sum = chance(0.5) ? m.node("Add", "", y, x.name()) : m.node("Add", "", x.name(), y);
    tap(sum);
    return new V(chance(0.6) ? m.node("Relu", "", sum) : sum, x.dims());
  }

  /** A 3x3 (or 1x1) stride-1 Conv that keeps H and W. */
  V convSame(V x, long cout) {
    long k = oneOf(1L, 3L);
    String attrs = "kernel_shape=" + ModelText.list(k, k) + ", pads="
        + ModelText.list(k / 2, k / 2, k / 2, k / 2);
    double bound = 1.0 / Math.sqrt(x.dim(1) * k * k);
    String y = m.node("Conv", attrs, x.name(), weights("w", dims(cout, x.dim(1), k, k), -bound, bound),
        weights("b", dims(cout), -0.2, 0.2));
    return new V(y, dims(x.dim(0), cout, x.dim(2), x.dim(3)));
  }

  V depthwisePointwise(V x) {
    long ch = x.dim(1);
    V dw = conv(x, ch * (chance(0.8) ? 1 : 2), (int) ch, chance(0.5));
    String y = dw.name();
    if (chance(0.6)) {
      y = batchNorm(y, dw.dim(1));
    }
    y = activation(y);
    V pw = convSame(new V(y, dw.dims()), oneOf(2L, 4L, 8L));
    return new V(activation(pw.name()), pw.dims());
  }

  V squeezeExcite(V x) {
    long ch = x.dim(1);
    long mid = Math.max(1, ch / 2);
    String g = chance(0.7) ? m.node("GlobalAveragePool", "", x.name())
        : reduce("ReduceMean", x.name(), dims(2, 3), true);
    String a = m.node("Conv", "kernel_shape=[1, 1]", g, weights("w", dims(mid, ch, 1, 1), -1, 1),
        weights("b", dims(mid), -0.2, 0.2));
    a = m.node("Relu", "", a);
    String b = m.node("Conv", "kernel_shape=[1, 1]", a, weights("w", dims(ch, mid, 1, 1), -1, 1),
        weights("b", dims(ch), -0.2, 0.2));
    String s = chance(0.6) ? m.node("Sigmoid", "", b)
        : m.node("HardSigmoid", "alpha=" + (float) near(1 / 6.0) + ", beta=0.5", b);
    tap(s);
    return new V(m.node("Mul", "", x.name(), s), x.dims());
  }

  V pool(V x) {
    long h = x.dim(2);
    long w = x.dim(3);
    switch (pick(4)) {
      case 0 -> {
        return new V(m.node(oneOf("GlobalAveragePool", "GlobalMaxPool"), "", x.name()),
            dims(x.dim(0), x.dim(1), 1, 1));
      }
      case 1 -> {
        boolean keep = chance(0.7);
        long[] axes = oneOf(dims(2, 3), dims(-1, -2), dims(-1), dims(1));
        String op = oneOf("ReduceMean", "ReduceMax", "ReduceSum", "ReduceL2");
        String y = reduce(op, x.name(), axes, keep);
        long[] d = x.dims().clone();
        for (long a : axes) {
          d[(int) (a < 0 ? a + 4 : a)] = -1;
        }
        long[] out = java.util.Arrays.stream(d).map(v -> v == -1 ? 1 : v).toArray();
        if (!keep) {
          out = java.util.Arrays.stream(d).filter(v -> v != -1).toArray();
          if (out.length < 4) {
            return new V(m.node("Unsqueeze", "", y, m.ints("axes", dims(-1))),
                pad4(out));
          }
        }
        return new V(y, out);
      }
      default -> {
        long k = Math.min(oneOf(2L, 3L), Math.min(h, w));
        long s = oneOf(1L, 2L);
        long p = k > 1 && chance(0.4) ? 1 : 0;
        boolean ceil = chance(0.3);
        return pool2d(oneOf("MaxPool", "AveragePool"), x, k, s, p, ceil);
      }
    }
  }

  private static long[] pad4(long[] d) {
    long[] out = new long[d.length + 1];
    System.arraycopy(d, 0, out, 0, d.length);
    out[d.length] = 1;
    return out;
  }

  /** Pad (zero, nonzero constant, reflect, edge) then a Conv or pool, the fusion's pattern. */
  V padThen(V x) {
    long t = pick(2);
    long l = pick(3);
    long b = pick(2);
    long r = pick(2);
    String mode = oneOf("constant", "constant", "constant", "reflect", "edge");
    String pads = m.ints("pads", 0, 0, t, l, 0, 0, b, r);
    String padded = mode.equals("constant") && chance(0.7)
        ? m.node("Pad", "mode=\"constant\"", x.name(), pads)
        : m.node("Pad", "mode=\"" + mode + "\"", x.name(), pads,
            mode.equals("constant") ? scalarT("pv", oneOf(0.0, 0.5, -0.0)) : "");
    tap(padded);
    V p = new V(padded, dims(x.dim(0), x.dim(1), x.dim(2) + t + b, x.dim(3) + l + r));
    if (chance(0.6)) {
      return convBnAct(p);
    }
    return pool(p);
  }

  V resize(V x) {
    String mode = oneOf("nearest", "linear", "cubic");
    String coord = oneOf("half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel");
    String attrs = "mode=\"" + mode + "\", coordinate_transformation_mode=\"" + coord + "\"";
    if (mode.equals("nearest")) {
      attrs += ", nearest_mode=\"" + oneOf("round_prefer_floor", "floor", "ceil") + "\"";
    }
    long f = oneOf(2L, 2L, 3L);
    String scales = m.init("scales", "float32", dims(4), "1.0, 1.0, " + f + ".0, " + f + ".0");
    String y = m.node("Resize", attrs, x.name(), "", scales);
    return new V(y, dims(x.dim(0), x.dim(1), x.dim(2) * f, x.dim(3) * f));
  }

  /** Reshape-Transpose-Reshape, DCR or CRD, sometimes with a permutation that is neither. */
  V depthToSpace(V x) {
    V c = convSame(x, 8);
    long n = 0;
    long h = c.dim(2);
    long w = c.dim(3);
    boolean dcr = chance(0.5);
    long[] shape1 = dims(n, 2, 2, 2, h, w);
    long[] perm = dcr ? dims(0, 3, 4, 1, 5, 2) : dims(0, 1, 4, 2, 5, 3);
    if (chance(0.15)) {
      perm = dims(0, 3, 4, 2, 5, 1);
    }
    String r1 = m.node("Reshape", "", c.name(), m.ints("shape", shape1));
    tap(r1);
    String tr = m.node("Transpose", "perm=" + ModelText.list(perm), r1);
    String r2 = m.node("Reshape", "", tr, m.ints("shape", n, 2, h * 2, w * 2));
    return new V(r2, dims(c.dim(0), 2, h * 2, w * 2));
  }

  V channelShuffle(V x) {
    V c = convSame(x, 6);
    long g = oneOf(2L, 3L);
    String r1 = m.node("Reshape", "", c.name(), m.ints("shape", 0, g, 6 / g, c.dim(2), c.dim(3)));
    String tr = m.node("Transpose", "perm=" + ModelText.list(chance(0.85)
        ? dims(0, 2, 1, 3, 4) : dims(0, 2, 1, 4, 3)), r1);
    tap(tr);
    long[] shape = chance(0.5) ? dims(0, 6, c.dim(2), c.dim(3)) : dims(0, -1, c.dim(2), c.dim(3));
    String r2 = m.node("Reshape", "", tr, m.ints("shape", shape));
    return new V(r2, c.dims());
  }

  /** Transposes with elementwise ops between them, ending back in NCHW or not. */
  V transposeChain(V x) {
    String y = x.name();
    long[] d = x.dims().clone();
    int n = 1 + pick(3);
    for (int i = 0; i < n; i++) {
      long[] perm = permutation(4);
      y = m.node("Transpose", "perm=" + ModelText.list(perm), y);
      d = apply(d, perm);
      tap(y);
      switch (pick(4)) {
        case 0 -> y = m.node("Relu", "", y);
        case 1 -> y = m.node("Add", "", y, weights("c", dims(d[3]), -1, 1));
        case 2 -> y = m.node("Mul", "", y, scalarT("k", 1.5));
        default -> { }
      }
    }
    if (chance(0.6)) {
      long[] back = inverseTo(d, x.dims());
      if (back != null) {
        y = m.node("Transpose", "perm=" + ModelText.list(back), y);
        d = x.dims().clone();
      }
    }
    return new V(y, d);
  }

  long[] permutation(int rank) {
    long[] p = new long[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    for (int i = rank - 1; i > 0; i--) {
      int j = pick(i + 1);
      long tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  static long[] apply(long[] d, long[] perm) {
    long[] out = new long[perm.length];
    for (int i = 0; i < perm.length; i++) {
      out[i] = d[(int) perm[i]];
    }
    return out;
  }

  /** A permutation taking dims {@code d} to {@code want} when the sizes are distinct enough. */
  private static long[] inverseTo(long[] d, long[] want) {
    long[] p = new long[want.length];
    boolean[] used = new boolean[d.length];
    for (int i = 0; i < want.length; i++) {
      int found = -1;
      for (int j = 0; j < d.length; j++) {
        if (!used[j] && d[j] == want[i]) {
          found = j;
          break;
        }
      }
      if (found < 0) {
        return null;
      }
      used[found] = true;
      p[i] = found;
    }
    return p;
  }

  /** Channel slices (steps, negative bounds, negative axes) or a Split, then a Concat. */
  V sliceConcat(V x) {
    V c = convSame(x, 6);
    String y = c.name();
    String[] parts;
    if (chance(0.5)) {
      long[] sizes = oneOf(dims(2, 4), dims(3, 3), dims(2, 2, 2), dims(1, 5));
      parts = new String[sizes.length];
      long start = 0;
      for (int i = 0; i < sizes.length; i++) {
        long end = start + sizes[i];
        boolean negAxis = chance(0.5);
        long st = chance(0.3) ? start - 6 : start;
        long en = i == sizes.length - 1 && chance(0.4) ? Long.MAX_VALUE : end;
        parts[i] = m.node("Slice", "", y, m.ints("st", st), m.ints("en", en),
            m.ints("ax", negAxis ? -3 : 1));
        start = end;
      }
    } else {
      long[] sizes = oneOf(dims(2, 4), dims(3, 3), dims(2, 2, 2));
      int k = sizes.length;
      boolean equal = sizes[0] * k == 6;
      if (equal && m.opset >= 18 && chance(0.5)) {
        parts = m.nodeN("Split", "axis=1, num_outputs=" + k, k, y);
      } else {
        parts = m.nodeN("Split", "axis=" + oneOf(1, -3), k, y, m.ints("split", sizes));
      }
    }
    for (String p : parts) {
      tap(p);
    }
    if (chance(0.3)) {
      String tmp = parts[0];
      parts[0] = parts[parts.length - 1];
      parts[parts.length - 1] = tmp;
    }
    String cat = m.node("Concat", "axis=" + oneOf(1, -3), parts);
    return new V(cat, c.dims());
  }

  /**
   * A classifier head: global pooling, Flatten or Reshape to [N, C], then Gemm (transA / transB,
   * alpha, beta varied) or MatMul + Add, then Softmax. Ends the chain (rank 2).
   */
  V head(V x) {
    long c = x.dim(1);
    String g = m.node(oneOf("GlobalAveragePool", "GlobalMaxPool"), "", x.name());
    String flat = chance(0.5) ? m.node("Flatten", "axis=1", g)
        : m.node("Reshape", "", g, m.ints("shape", 0, -1));
    tap(flat);
    long k = oneOf(3L, 5L);
    String y;
    if (chance(0.5)) {
      boolean transB = chance(0.6);
      String w = weights("w", transB ? dims(k, c) : dims(c, k), -1, 1);
      String attrs = "transB=" + (transB ? 1 : 0);
      if (chance(0.3)) {
        attrs += ", alpha=" + oneOf(1.0f, 0.5f) + ", beta=" + oneOf(1.0f, 2.0f);
      }
      y = m.node("Gemm", attrs, flat, w, weights("b", oneOf(dims(k), dims(1, k)), -0.5, 0.5));
    } else {
      y = m.node("Add", "", m.node("MatMul", "", flat, weights("w", dims(c, k), -1, 1)),
          weights("b", dims(k), -0.5, 0.5));
    }
    tap(y);
    return new V(m.node("Softmax", "axis=" + oneOf(1, -1), y), dims(x.dim(0), k));
  }

  /** Reshape / Flatten / Squeeze / Unsqueeze round trips back to [N, C, H, W], or not quite. */
  V reshapeChain(V x) {
    long c = x.dim(1);
    long h = x.dim(2);
    long w = x.dim(3);
    String y = switch (pick(3)) {
      case 0 -> m.node("Reshape", "", x.name(), m.ints("shape", 0, c, h * w));
      case 1 -> m.node("Unsqueeze", "", x.name(), m.ints("axes", oneOf(2L, -1L, 0L)));
      default -> m.node("Reshape", "", x.name(), m.ints("shape", 0, c * h, w));
    };
    tap(y);
    if (chance(0.4)) {
      y = m.node("Relu", "", y);
    }
    y = m.node("Reshape", "", y, m.ints("shape", chance(0.7) ? dims(0, c, h, w) : dims(-1, c, h, w)));
    if (chance(0.4)) {
      String u = m.node("Unsqueeze", "", y, m.ints("axes", 1));
      tap(u);
      y = m.node("Squeeze", "", u, m.ints("axes", oneOf(1L, -4L)));
    }
    return new V(y, x.dims());
  }

  /** Gather along the channel or a spatial axis with a 1-D index (negative indices too). */
  V gather(V x) {
    int axis = oneOf(1, 2, 3, -1);
    long n = x.dim(axis);
    long[] idx = new long[(int) Math.max(1, n - 1)];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = chance(0.2) ? -(1 + pick((int) n)) : pick((int) n);
    }
    String y = m.node("Gather", "axis=" + axis, x.name(), m.ints("idx", idx));
    long[] d = x.dims().clone();
    d[axis < 0 ? axis + 4 : axis] = idx.length;
    return new V(y, d);
  }

  /** Conv, activation, then a scalar (or one-element) Mul and / or Add, in either operand order. */
  V convActScalar(V x) {
    V c = conv(x, oneOf(2L, 4L), 1, chance(0.7));
    String y = activation(c.name());
    int n = 1 + pick(2);
    for (int i = 0; i < n; i++) {
      tap(y);
      String k = chance(0.8) ? scalarT("k", oneOf(0.5, 2.0, -1.5, 0.0, -0.0, 1.0))
          : weights("k1", dims(1), -2, 2);
      String op = oneOf("Mul", "Add", "Sub");
      y = chance(0.6) || op.equals("Sub") ? m.node(op, "", y, k) : m.node(op, "", k, y);
    }
    return new V(y, c.dims());
  }

  /**
   * A spatial pyramid of stride-1 MaxPools (YOLO's SPPF): each pool reads the previous one and
   * all are concatenated with the input; sometimes kernels or pads that differ, dilations, or an
   * intermediate pool read elsewhere.
   */
  V sppPyramid(V x) {
    if (chance(0.5)) {
      return sppParallel(x);
    }
    long k = oneOf(3L, 5L, 5L);
    int n = 2 + pick(2);
    String[] parts = new String[n + 1];
    parts[0] = x.name();
    for (int i = 1; i <= n; i++) {
      long ki = chance(0.85) ? k : oneOf(3L, 5L);
      String attrs = "kernel_shape=" + ModelText.list(ki, ki) + ", strides=[1, 1], pads="
          + ModelText.list(ki / 2, ki / 2, ki / 2, ki / 2);
      if (chance(0.1)) {
        attrs = "kernel_shape=" + ModelText.list(3, 3) + ", strides=[1, 1], pads=[2, 2, 2, 2],"
            + " dilations=[2, 2]";
      }
      parts[i] = m.node("MaxPool", attrs, parts[i - 1]);
      tap(parts[i]);
    }
    if (chance(0.2)) {
      String tmp = parts[0];
      parts[0] = parts[n];
      parts[n] = tmp;
    }
    String cat = m.node("Concat", "axis=" + oneOf(1, -3), parts);
    return new V(cat, dims(x.dim(0), x.dim(1) * (n + 1), x.dim(2), x.dim(3)));
  }

  /**
   * YOLO's SPP: same-size MaxPools of growing windows (5, 9, 13, or 3, 5, 7), all of the one
   * input, concatenated with it; sometimes a stride or pad that does not keep the size.
   */
  V sppParallel(V x) {
    long[] ks = chance(0.5) ? dims(5, 9, 13) : dims(3, 5, 7);
    String[] parts = new String[ks.length + 1];
    parts[0] = x.name();
    for (int i = 0; i < ks.length; i++) {
      long k = ks[i];
      long p = chance(0.9) ? k / 2 : k / 2 - 1;
      if (p != k / 2) {
        tap(m.node("MaxPool", "kernel_shape=" + ModelText.list(k, k) + ", pads="
            + ModelText.list(p, p, p, p), x.name()));
        p = k / 2;
      }
      parts[i + 1] = m.node("MaxPool", "kernel_shape=" + ModelText.list(k, k)
          + ", strides=[1, 1], pads=" + ModelText.list(p, p, p, p), x.name());
      tap(parts[i + 1]);
    }
    String cat = m.node("Concat", "axis=1", parts);
    return new V(cat, dims(x.dim(0), x.dim(1) * (ks.length + 1), x.dim(2), x.dim(3)));
  }

  /**
   * Conv, one op a channels-last region must carry through (an axis or axes attribute, Pad,
   * Slice, Transpose, Reshape across the channels, Resize, DepthToSpace, GridSample, Split and
   * Concat), then another Conv when the value is still an image.
   */
  V layoutSensitive(V x) {
    V c = convSame(x, oneOf(4L, 8L));
    String y = c.name();
    long n = c.dim(0);
    long ch = c.dim(1);
    long h = c.dim(2);
    long w = c.dim(3);
    long[] d = c.dims();
    switch (pick(10)) {
      case 0 -> y = m.node("Softmax", "axis=" + oneOf(1, -3, 2, -1), y);
      case 1 -> {
        String r = reduce(oneOf("ReduceMean", "ReduceMax", "ReduceSum"), y,
            oneOf(dims(1), dims(2, 3), dims(1, 2), dims(-1)), true);
        y = m.node(oneOf("Add", "Sub", "Mul"), "", y, r);
      }
      case 2 -> {
        long[] p = chance(0.5) ? dims(0, 0, 1, 0, 0, 0, 0, 2) : dims(0, 1, 0, 1, 0, 2, 1, 0);
        y = m.node("Pad", "mode=\"" + oneOf("constant", "edge", "reflect") + "\"", y,
            m.ints("pads", p));
        d = dims(n, ch + p[1] + p[5], h + p[2] + p[6], w + p[3] + p[7]);
      }
      case 3 -> {
        int axis = oneOf(1, 2, 3, -1);
        int a = axis < 0 ? axis + 4 : axis;
        long step = oneOf(1L, 2L);
        y = m.node("Slice", "", y, m.ints("st", 0), m.ints("en", d[a]), m.ints("ax", axis),
            m.ints("sp", step));
        d = d.clone();
        d[a] = (d[a] + step - 1) / step;
      }
      case 4 -> {
        long[] perm = chance(0.5) ? dims(0, 1, 3, 2) : permutation(4);
        y = m.node("Transpose", "perm=" + ModelText.list(perm), y);
        d = apply(d, perm);
      }
      case 5 -> {
        y = m.node("Reshape", "", y, m.ints("shape", 0, ch / 2, 2 * h, w));
        d = dims(n, ch / 2, 2 * h, w);
      }
      case 6 -> {
        String scales = m.init("scales", "float32", dims(4), "1.0, 1.0, 2.0, 2.0");
        y = m.node("Resize", "mode=\"" + oneOf("nearest", "linear") + "\"", y, "", scales);
        d = dims(n, ch, 2 * h, 2 * w);
      }
      case 7 -> {
        y = m.node("DepthToSpace", "blocksize=2, mode=\"" + oneOf("DCR", "CRD") + "\"", y);
        d = dims(n, ch / 4, 2 * h, 2 * w);
      }
      case 8 -> {
        if (m.opset >= 16 && !m.dynamic()) {
          long oh = oneOf(2L, 3L);
          long ow = oneOf(2L, 4L);
          String grid = weights("grid", dims(n, oh, ow, 2), -1.1, 1.1);
          y = m.node("GridSample", "mode=\"" + oneOf("bilinear", "nearest") + "\", padding_mode=\""
              + oneOf("zeros", "border", "reflection") + "\", align_corners=" + pick(2), y, grid);
          d = dims(n, ch, oh, ow);
        } else {
          y = m.node("Softmax", "axis=1", y);
        }
      }
      default -> {
        String[] parts = m.nodeN("Split", "axis=1", 2, y, m.ints("split", ch / 2, ch / 2));
        int axis = oneOf(1, 2, 3);
        y = m.node("Concat", "axis=" + axis, parts[1], parts[0]);
        if (axis != 1) {
          d = d.clone();
          d[1] = ch / 2;
          d[axis] *= 2;
        }
      }
    }
    tap(y);
    V v = new V(y, d);
    if (chance(0.7)) {
      v = convSame(v, oneOf(2L, 4L));
    }
    return v;
  }
}

package dev.convoy.transforms.differential;

/**
 * Quantized (QDQ) blocks, as quantization tools write them: QuantizeLinear / DequantizeLinear
 * pairs around Conv, MatMul, pooling and data-movement ops, with int8 or uint8 activations, nonzero
 * zero points, per-tensor or per-axis weight scales, an int32 bias whose scale is (or is not) the
 * product of the input and weight scales, and QDQ round trips; pooling of every kind between
 * a DQ and a Q; dynamic quantization (DynamicQuantizeLinear and sibling MatMulIntegers).
 */
final class QdqBlocks extends Blocks {
  QdqBlocks(ModelText m) {
    super(m, "float32");
  }

  /** Activation quantization parameters: scale and a zero point of int8 or uint8. */
  private record Q(String scale, String zp, double s) {}

  private Q actParams(double range) {
    boolean u8 = chance(0.5);
    double s = range / 255 * (0.8 + rng.nextDouble() * 0.4);
    String zp = u8 ? m.init("zp", "uint8", dims(), Integer.toString(100 + pick(56)))
        : m.init("zp", "int8", dims(), Integer.toString(pick(21) - 10));
    return new Q(scalarT("scale", s), zp, s);
  }

  String quantDequant(String x, Q q) {
    String qx = m.node("QuantizeLinear", "", x, q.scale(), q.zp());
    if (chance(0.08)) {
      m.output(qx);
    }
    return m.node("DequantizeLinear", "", qx, q.scale(), q.zp());
  }

  V conv(V x) {
    long cout = oneOf(2L, 4L);
    long k = oneOf(1L, 3L);
    return conv(x, cout, k, 1);
  }

  /** A QDQ depthwise 3x3 Conv then a QDQ Conv: a quantized MobileNet's separable block. */
  V depthwiseSeparable(V x) {
    V dw = conv(x, x.dim(1), 3, x.dim(1));
    tap(dw.name());
    return conv(dw);
  }

  /** A QDQ Conv of {@code group} groups, k x k, padded to keep the size. */
  private V conv(V x, long cout, long k, long group) {
    long cin = x.dim(1) / group;
    Q in = actParams(4);
    String dx = quantDequant(x.name(), in);
    boolean perAxis = chance(0.6);
    String wq = m.randomInts("wq", "int8", dims(cout, cin, k, k), -127, 127);
    double[] ws = new double[perAxis ? (int) cout : 1];
    StringBuilder wsText = new StringBuilder();
    for (int i = 0; i < ws.length; i++) {
      ws[i] = 0.002 + rng.nextDouble() * 0.004;
      wsText.append(i > 0 ? ", " : "").append((float) ws[i]);
    }
    String wScale = m.init("ws", "float32", perAxis ? dims(cout) : dims(), wsText.toString());
    String wZp = chance(0.5) ? "" : m.init("wz", "int8", perAxis ? dims(cout) : dims(),
        perAxis ? "0, ".repeat((int) cout - 1) + "0" : "0");
    String dw = wZp.isEmpty()
        ? m.node("DequantizeLinear", perAxis ? "axis=0" : "", wq, wScale)
        : m.node("DequantizeLinear", perAxis ? "axis=0" : "", wq, wScale, wZp);
    String attrs = "kernel_shape=" + ModelText.list(k, k) + ", pads="
        + ModelText.list(k / 2, k / 2, k / 2, k / 2) + (group > 1 ? ", group=" + group : "");
    String y;
    if (chance(0.7)) {
      StringBuilder bs = new StringBuilder();
      boolean exact = chance(0.85);
      for (int i = 0; i < cout; i++) {
        double w = ws[perAxis ? i : 0];
        bs.append(i > 0 ? ", " : "").append((float) (in.s() * w * (exact ? 1 : 1.1)));
      }
      String bq = m.randomInts("bq", "int32", dims(cout), -2000, 2000);
      String bScale = m.init("bs", "float32", dims(cout), bs.toString());
      y = m.node("Conv", attrs, dx, dw, m.node("DequantizeLinear", "axis=0", bq, bScale));
    } else {
      y = m.node("Conv", attrs, dx, dw);
    }
    tap(y);
    if (chance(0.4)) {
      y = m.node(oneOf("Relu", "Relu", "Clip"), "", y);
    }
    return new V(quantDequant(y, actParams(6)), dims(x.dim(0), cout, x.dim(2), x.dim(3)));
  }

  V matmul(V x) {
    long d = x.dim(-1);
    long e = oneOf(4L, 8L);
    Q in = actParams(4);
    String dx = quantDequant(x.name(), in);
    boolean perAxis = chance(0.5);
    String wq = m.randomInts("wq", "int8", dims(d, e), -127, 127);
    String ws = perAxis ? weights("ws", dims(e), 0.002, 0.006) : scalarT("ws", 0.004);
    String dw = m.node("DequantizeLinear", perAxis ? "axis=1" : "", wq, ws);
    String y = m.node("MatMul", "", dx, dw);
    if (chance(0.5)) {
      y = m.node("Add", "", y, weights("b", dims(e), -0.5, 0.5));
    }
    tap(y);
    return new V(quantDequant(y, actParams(6)), dims(x.dim(0), x.dim(1), e));
  }

  /**
   * A quantized MLP as quantization tools write a transformer's feed-forward: QDQ MatMul (+ bias),
   * requantized, an activation between a DQ and a Q (ReLU, erf GELU, Sigmoid), QDQ MatMul; or a
   * quantized residual: the sum of two requantized values requantized.
   */
  V mlp(V x) {
    V h = matmul(x);
    if (chance(0.3)) {
      V other = matmul(x);
      if (other.dim(-1) == h.dim(-1)) {
        return new V(quantDequant(m.node("Add", "", h.name(), other.name()), actParams(8)),
            h.dims());
      }
    }
    String a = switch (pick(3)) {
      case 0 -> m.node("Relu", "", h.name());
      case 1 -> new SequenceBlocks(m, "float32").geluErf(h.name());
      default -> m.node("Sigmoid", "", h.name());
    };
    tap(a);
    return matmul(new V(quantDequant(a, actParams(4)), h.dims()));
  }

  /** A data-movement or pooling op between a DQ and a Q of the same parameters. */
  V shapeOp(V x) {
    Q q = actParams(2);
    String d = quantDequant(x.name(), q);
    String y;
    long[] out = x.dims();
    switch (pick(6)) {
      case 0 -> {
        y = m.node("MaxPool", "kernel_shape=[2, 2], strides=[2, 2]", d);
        out = dims(x.dim(0), x.dim(1), x.dim(2) / 2, x.dim(3) / 2);
      }
      case 4, 5 -> {
        String op = oneOf("AveragePool", "MaxPool");
        long k = oneOf(2L, 3L);
        long st = oneOf(1L, 2L);
        long p = k > 2 && chance(0.5) ? 1 : 0;
        boolean ceil = chance(0.3);
        V pooled = pool2d(op, new V(d, x.dims()), k, st, p, ceil);
        y = pooled.name();
        out = pooled.dims();
      }
      case 1 -> {
        y = m.node("Transpose", "perm=[0, 1, 3, 2]", d);
        out = dims(x.dim(0), x.dim(1), x.dim(3), x.dim(2));
      }
      case 2 -> {
        y = m.node("GlobalAveragePool", "", d);
        out = dims(x.dim(0), x.dim(1), 1, 1);
      }
      default -> y = m.node("Relu", "", d);
    }
    // An average of values of one scale, requantized to that scale, is often exactly k + 1/2
    // steps: ONNX Runtime itself rounds such a tie by its float summation order, differently at
    // different opsets and against any other runtime, so no result can be judged against it.
    // Averaging ops requantize to parameters of their own; the rest keep them 70% of the time.
    boolean averages = y.startsWith("averagepool") || y.startsWith("globalaveragepool");
    Q q2 = chance(0.7) && !averages ? q : actParams(2);
    return new V(quantDequant(y, q2), out);
  }

  /** Q -> DQ -> Q -> DQ with the same or different parameters. */
  V roundTrip(V x) {
    Q q = actParams(3);
    String once = quantDequant(x.name(), q);
    tap(once);
    return new V(quantDequant(once, chance(0.6) ? q : actParams(3)), x.dims());
  }

  /**
   * Dynamic quantization as ONNX Runtime's quantizer writes it: DynamicQuantizeLinear on the
   * activation, one to three MatMulInteger siblings reading it (int8 or uint8 weights, with or
   * without a weight zero point), each Cast to float and scaled by the activation scale times a
   * constant weight scale (per column, or per tensor shared or not), sometimes plus a bias;
   * siblings are summed.
   */
  V dynamicMatMul(V x) {
    long d = x.dim(-1);
    String[] dq = m.nodeN("DynamicQuantizeLinear", "", 3, x.name());
    if (chance(0.08)) {
      m.output(dq[0]);
    }
    int siblings = oneOf(1, 2, 3, 3);
    long e = oneOf(4L, 8L);
    // The siblings mostly share their weight type and whether they have a weight zero point
    // and a bias, as the projections of one layer do.
    boolean blockU8 = chance(0.3);
    boolean blockWz = chance(0.5);
    boolean blockBias = chance(0.5);
    // Weight scales: one per column, one value shared by the siblings, or one each.
    boolean perColumn = chance(0.4);
    double shared = chance(0.5) ? 0.002 + rng.nextDouble() * 0.004 : 0;
    String sum = null;
    for (int i = 0; i < siblings; i++) {
      boolean u8 = chance(0.9) ? blockU8 : !blockU8;
      String wq = u8 ? m.randomInts("wq", "uint8", dims(d, e), 0, 255)
          : m.randomInts("wq", "int8", dims(d, e), -127, 127);
      String wz = (chance(0.9) ? !blockWz : blockWz) ? "" : u8 ? m.init("wz", "uint8", dims(), Integer.toString(100 + pick(56)))
          : m.init("wz", "int8", dims(), "0");
      String mm = wz.isEmpty() ? m.node("MatMulInteger", "", dq[0], wq, dq[2])
          : m.node("MatMulInteger", "", dq[0], wq, dq[2], wz);
      String f = m.node("Cast", "to=1", mm);
      String ws = perColumn ? weights("ws", dims(e), 0.002, 0.006)
          : scalarT("ws", shared > 0 ? shared : 0.002 + rng.nextDouble() * 0.004);
      String scale = m.node("Mul", "", dq[1], ws);
      String y = chance(0.7) ? m.node("Mul", "", f, scale) : m.node("Mul", "", scale, f);
      tap(y);
      if (chance(0.9) ? blockBias : !blockBias) {
        y = m.node("Add", "", y, weights("b", dims(e), -0.5, 0.5));
      }
      sum = sum == null ? y : m.node("Add", "", sum, y);
    }
    return new V(sum, dims(x.dim(0), x.dim(1), e));
  }
}

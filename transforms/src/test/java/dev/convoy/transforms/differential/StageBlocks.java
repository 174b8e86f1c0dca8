package dev.convoy.transforms.differential;

/**
 * Whole CNN stages as the architectures the O2 fusions are written for build them, over an [N, C,
 * H, W] value: MobileNet's inverted residual and separable blocks (1x1 expansion, depthwise 3x3,
 * linear 1x1 projection, BatchNormalization, ReLU6 as Clip, a residual Add), SqueezeNet's Fire
 * and Inception's branch-and-concat modules (parallel 1x1 / 3x3 / 5x5 / pool branches into one
 * Concat), and a Conv stem into a MaxPool (ResNet's 3x3 stride-2, VGG's 2x2). Each varies what
 * the fusions must check: a stride, a pad, a bias, an activation or its constants, an
 * intermediate read elsewhere, a branch order.
 */
final class StageBlocks extends Blocks {
  private final ImageBlocks image;

  StageBlocks(ModelText m, String floatType) {
    super(m, floatType);
    this.image = new ImageBlocks(m, floatType);
  }

  V any(V x) {
    return switch (pick(7)) {
      case 0, 1 -> invertedResidual(x);
      case 2 -> separable(x);
      case 3 -> fire(x);
      case 4 -> inception(x);
      default -> convPool(x);
    };
  }

  /**
   * A 1x1 expansion to 64 channels (ReLU), then a 3x3 stride-1 Conv of seeded pads (same, valid,
   * or asymmetric) with a bias, sometimes BN, an activation or a residual: wide enough for the
   * opt-in Winograd convolution ({@code replace-conv-winograd} needs 64 input channels and 100
   * output tiles) on a 20x20 or larger image.
   */
  V wide3x3(V x) {
    V e = conv(x, 64, 1, 1, 1, true);
    V a = new V(m.node(oneOf("Relu", "Relu", "Sigmoid"), "", e.name()), e.dims());
    long cout = chance(0.5) ? x.dim(1) : oneOf(4L, 8L);
    long[] p = switch (pick(4)) {
      case 0 -> dims(0, 0, 0, 0);
      case 1 -> dims(1, 0, 1, 2);
      default -> dims(1, 1, 1, 1);
    };
    double bound = 1.5 / Math.sqrt(64 * 9);
    String y = m.node("Conv", "kernel_shape=[3, 3], pads=" + ModelText.list(p), a.name(),
        weights("w", dims(cout, 64, 3, 3), -bound, bound), weights("b", dims(cout), -0.3, 0.3));
    long oh = x.dim(2) + p[0] + p[2] - 2;
    long ow = x.dim(3) + p[1] + p[3] - 2;
    y = bnAct(y, cout, chance(0.6));
    if (cout == x.dim(1) && oh == x.dim(2) && ow == x.dim(3) && chance(0.5)) {
      tap(y);
      y = m.node("Add", "", y, x.name());
    }
    return new V(y, dims(x.dim(0), cout, oh, ow));
  }

  /** A k x k Conv of {@code group} groups, stride {@code s}, padded to keep the size at stride 1. */
  V conv(V x, long cout, long k, long s, long group, boolean bias) {
    long p = k / 2;
    String attrs = "kernel_shape=" + ModelText.list(k, k) + ", strides=" + ModelText.list(s, s)
        + ", pads=" + ModelText.list(p, p, p, p) + (group > 1 ? ", group=" + group : "");
    double bound = 1.5 / Math.sqrt(x.dim(1) / group * k * k);
    String w = weights("w", dims(cout, x.dim(1) / group, k, k), -bound, bound);
    String y = bias ? m.node("Conv", attrs, x.name(), w, weights("b", dims(cout), -0.3, 0.3))
        : m.node("Conv", attrs, x.name(), w);
    long oh = (x.dim(2) + 2 * p - k) / s + 1;
    long ow = (x.dim(3) + 2 * p - k) / s + 1;
    return new V(y, dims(x.dim(0), cout, oh, ow));
  }

  /** BatchNormalization (70%) then the seeded mobile activation: ReLU6, ReLU, HardSwish or none. */
  private String bnAct(String y, long c, boolean act) {
    if (chance(0.7)) {
      tap(y);
      y = image.batchNorm(y, c);
    }
    if (!act) {
      return y;
    }
    tap(y);
    return switch (pick(5)) {
      case 0, 1 -> m.node("Clip", "", y, scalarT("lo", 0), scalarT("hi", near(6)));
      case 2 -> m.node("Relu", "", y);
      case 3 -> hardSwish(y);
      default -> activation(y);
    };
  }

  /**
   * MobileNetV2's inverted residual: 1x1 expansion (t = 1 skips it), depthwise 3x3 (stride 2
   * sometimes), linear 1x1 projection, and the residual Add where the shape allows it.
   */
  V invertedResidual(V x) {
    long c = x.dim(1);
    long t = oneOf(1L, 2L, 3L);
    V e = x;
    if (t > 1) {
      V ex = conv(x, c * t, 1, 1, 1, chance(0.5));
      e = new V(bnAct(ex.name(), c * t, true), ex.dims());
    }
    long s = chance(0.2) && x.dim(2) >= 4 ? 2 : 1;
    long k = chance(0.85) ? 3 : 5;
    // Sometimes the depthwise conv's attributes vary as ImageBlocks' do (auto_pad, asymmetric
    // pads, dilation, stride, kernel 1 or 5): the residual then stays only where shapes allow.
    V dw = chance(0.3) ? image.conv(e, e.dim(1), (int) e.dim(1), chance(0.5))
        : conv(e, e.dim(1), k, s, e.dim(1), chance(0.5));
    if (dw.dim(2) != x.dim(2) || dw.dim(3) != x.dim(3)) {
      s = 2;
    }
    V a = new V(bnAct(dw.name(), dw.dim(1), true), dw.dims());
    long cout = s == 1 && chance(0.7) ? c : oneOf(2L, 4L, 6L);
    V pw = conv(a, cout, 1, 1, 1, chance(0.5));
    String y = bnAct(pw.name(), cout, chance(0.15));
    if (s == 1 && cout == c) {
      tap(y);
      y = chance(0.5) ? m.node("Add", "", x.name(), y) : m.node("Add", "", y, x.name());
      if (chance(0.25)) {
        y = m.node("Relu", "", y);
      }
    }
    return new V(y, pw.dims());
  }

  /** MobileNetV1's separable block: depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU. */
  V separable(V x) {
    long s = chance(0.3) && x.dim(2) >= 4 ? 2 : 1;
    long mult = chance(0.85) ? 1 : 2;
    V dw = conv(x, x.dim(1) * mult, 3, s, x.dim(1), chance(0.4));
    V a = new V(bnAct(dw.name(), dw.dim(1), true), dw.dims());
    V pw = conv(a, oneOf(4L, 8L), 1, 1, 1, chance(0.4));
    return new V(bnAct(pw.name(), pw.dim(1), true), pw.dims());
  }

  /** SqueezeNet's Fire: squeeze 1x1 + ReLU, then 1x1 and 3x3 expansions + ReLU, concatenated. */
  V fire(V x) {
    V sq = conv(x, oneOf(2L, 3L), 1, 1, 1, true);
    String s = m.node("Relu", "", sq.name());
    tap(s);
    V sv = new V(s, sq.dims());
    long e1 = oneOf(2L, 4L);
    long e3 = oneOf(2L, 4L);
    String a = m.node("Relu", "", conv(sv, e1, 1, 1, 1, true).name());
    String b = m.node("Relu", "", conv(sv, e3, 3, 1, 1, true).name());
    tap(a);
    String cat = chance(0.85) ? m.node("Concat", "axis=" + oneOf(1, -3), a, b)
        : m.node("Concat", "axis=1", b, a);
    return maybePool(new V(cat, dims(x.dim(0), e1 + e3, x.dim(2), x.dim(3))));
  }

  /**
   * An Inception module: a 1x1 branch, 1x1 -> 3x3, 1x1 -> 5x5 (or two 3x3), and a 3x3 pool
   * (max or average, stride 1) -> 1x1, each activated, concatenated in seeded order.
   */
  V inception(V x) {
    int branches = 2 + pick(3);
    String[] parts = new String[branches];
    long total = 0;
    for (int i = 0; i < branches; i++) {
      long c = oneOf(2L, 3L, 4L);
      V y = switch (i) {
        case 0 -> conv(x, c, 1, 1, 1, true);
        case 1 -> conv(act(conv(x, 2, 1, 1, 1, true)), c, 3, 1, 1, true);
        case 2 -> chance(0.5) ? conv(act(conv(x, 2, 1, 1, 1, true)), c, 5, 1, 1, true)
            : conv(act(conv(act(conv(x, 2, 1, 1, 1, true)), 2, 3, 1, 1, true)), c, 3, 1, 1, true);
        default -> {
          String op = oneOf("MaxPool", "MaxPool", "AveragePool");
          String attrs = "kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]"
              + (op.equals("AveragePool") && chance(0.5) ? ", count_include_pad=1" : "");
          String p = m.node(op, attrs, x.name());
          tap(p);
          yield conv(new V(p, x.dims()), c, 1, 1, 1, true);
        }
      };
      parts[i] = act(y).name();
      tap(parts[i]);
      total += c;
    }
    if (chance(0.3)) {
      String first = parts[0];
      parts[0] = parts[branches - 1];
      parts[branches - 1] = first;
    }
    return maybePool(new V(m.node("Concat", "axis=1", parts),
        dims(x.dim(0), total, x.dim(2), x.dim(3))));
  }

  /**
   * Sometimes a MaxPool of a module's Concat, as SqueezeNet and GoogLeNet pool between modules
   * (a rule pools each input straight into its slice of the output): 3x3 stride 2 in ceil mode,
   * 2x2 stride 2, 3x3 stride 1 padded, SAME auto_pad at stride 2, or dilated rows with uneven
   * pads; the Concat is sometimes read elsewhere too.
   */
  private V maybePool(V cat) {
    if (chance(0.6)) {
      return cat;
    }
    tap(cat.name());
    return switch (pick(5)) {
      case 0 -> cat.dim(2) >= 3 && cat.dim(3) >= 3 ? pool2d("MaxPool", cat, 3, 2, 0, true)
          : pool2d("MaxPool", cat, 3, 2, 1, false);
      case 1 -> pool2d("MaxPool", cat, 2, 2, 0, false);
      case 2 -> pool2d("MaxPool", cat, 3, 1, 1, false);
      case 3 -> new V(m.node("MaxPool", "auto_pad=\"" + oneOf("SAME_UPPER", "SAME_LOWER")
          + "\", kernel_shape=[" + oneOf(2, 3) + ", 3], strides=[2, 2]", cat.name()),
          dims(cat.dim(0), cat.dim(1), (cat.dim(2) + 1) / 2, (cat.dim(3) + 1) / 2));
      default -> new V(m.node("MaxPool", "kernel_shape=[3, 3], pads=[2, 1, 2, 1], "
          + "dilations=[2, 1]", cat.name()), cat.dims());
    };
  }

  private V act(V y) {
    String a = chance(0.8) ? m.node("Relu", "", y.name()) : activation(y.name());
    return new V(a, y.dims());
  }

  /**
   * A Conv (+ BN) + activation into a MaxPool: 3x3 stride 2 pad 1 (ResNet's stem), 2x2 stride 2
   * (VGG), 3x3 stride 2 with ceil mode (SqueezeNet), or 3x3 stride 1 pad 1; sometimes the
   * activated value is read elsewhere too.
   */
  V convPool(V x) {
    V c = conv(x, oneOf(2L, 4L, 8L), oneOf(1L, 3L, 3L), 1, 1, chance(0.7));
    String y = bnAct(c.name(), c.dim(1), chance(0.9));
    tap(y);
    V a = new V(y, c.dims());
    return switch (pick(4)) {
      case 0 -> pool2d("MaxPool", a, 3, 2, 1, false);
      case 1 -> pool2d("MaxPool", a, 2, 2, 0, chance(0.3));
      case 2 -> a.dim(2) >= 3 && a.dim(3) >= 3 ? pool2d("MaxPool", a, 3, 2, 0, true)
          : pool2d("MaxPool", a, 3, 2, 1, false);
      default -> pool2d("MaxPool", a, 3, 1, 1, false);
    };
  }
}

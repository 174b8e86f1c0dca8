package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * A constant {@code Pad} of the spatial axes only (non-negative, batch and channel axes unpadded)
 * before a Conv, AveragePool or MaxPool with explicit pads ({@code auto_pad} NOTSET) moves into
 * the op's own pads. Conv: the pad value must be +0, which is what Conv's implicit padding
 * multiplies. AveragePool: value +0 and floor rounding; the pool then counts padding
 * ({@code count_include_pad = 1}), which its own pads must already do unless they are zero, so the
 * padded zeros keep weighing in the average exactly as the explicit ones did; every pad after
 * the fusion stays smaller than the kernel, which ONNX Runtime requires of a pool (cnn-31253: a
 * Pad of 2 into a pool of kernel 2 and pads 1 gave a model it refuses to load). MaxPool: value
 * {@code -inf}, which a maximum ignores as it ignores its own padding; with unit dilations, floor
 * rounding and every pad smaller than the kernel, each window still holds a real element, and the
 * indices output must be unread. The Pad must feed only the op.
 */
public final class FusePadIntoConvPool implements MatchingRule<FusePadIntoConvPool.Found> {
  public static final String NAME = "fuse-pad-into-conv-pool";

  /** The Pad that goes, its input, and the op's pads after the fusion. */
  public record Found(Node pad, Value x, long[] pads) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Conv", "AveragePool", "MaxPool");
  }

  @Override
  public Match<Found> match(Node op, Rewriter rw) {
    Match<Node> pm = Matchers.soleProducer(op.input(0), "Pad");
    if (!pm.ok()) {
      return pm.cast();
    }
    Node pad = pm.value();
    if (!op.stringAttr("auto_pad", "NOTSET").equals("NOTSET")) {
      return Match.fail(op.opType() + " " + op.name() + " uses auto_pad");
    }
    if (!pad.stringAttr("mode", "constant").equals("constant")) {
      return Match.fail("Pad " + pad.name() + " is not a constant pad");
    }
    long opset = pad.graph().opsetVersion("");
    long[] padPads = opset < 11 ? pad.intsAttr("pads") : Facts.constLongs(pad.input(1));
    Double value = opset < 11 ? Double.valueOf(pad.floatAttr("value", 0f)) : padValue(pad);
    if (padPads == null || value == null || (opset >= 11 && pad.inputCount() > 3
        && pad.input(3) != null)) {
      return Match.fail("Pad " + pad.name() + " has pads, value or axes that are not constant");
    }
    int rank = padPads.length / 2;
    int spatial = rank - 2;
    if (spatial < 1 || padPads[0] != 0 || padPads[1] != 0 || padPads[rank] != 0
        || padPads[rank + 1] != 0) {
      return Match.fail("Pad " + pad.name() + " pads the batch or channel axis");
    }
    for (long p : padPads) {
      if (p < 0) {
        return Match.fail("Pad " + pad.name() + " crops");
      }
    }
    long[] own = op.hasAttribute("pads") ? op.intsAttr("pads") : new long[2 * spatial];
    if (own.length != 2 * spatial) {
      return Match.fail(op.name() + " has pads for another rank");
    }
    long[] pads = new long[2 * spatial];
    for (int i = 0; i < spatial; i++) {
      pads[i] = own[i] + padPads[2 + i];
      pads[spatial + i] = own[spatial + i] + padPads[rank + 2 + i];
    }
    String why = op.is("Conv") ? convCondition(value)
        : op.is("AveragePool") ? averageCondition(op, value, own, pads)
        : maxCondition(op, value, pads);
    return why == null ? Match.of(new Found(pad, pad.input(0), pads)) : Match.fail(why);
  }

  private static String convCondition(double value) {
    return isPositiveZero(value) ? null : "a Conv pads with +0, not " + value;
  }

  private static String averageCondition(Node pool, double value, long[] own, long[] pads) {
    if (!isPositiveZero(value)) {
      return "an AveragePool averages padding as +0, not " + value;
    }
    if (pool.intAttr("ceil_mode", 0) != 0) {
      return "AveragePool " + pool.name() + " rounds its output size up";
    }
    boolean ownPads = false;
    for (long p : own) {
      ownPads |= p != 0;
    }
    if (ownPads && pool.intAttr("count_include_pad", 0) == 0) {
      return "AveragePool " + pool.name() + " leaves its own padding out of the average";
    }
    long[] kernel = pool.intsAttr("kernel_shape");
    int spatial = pads.length / 2;
    for (int i = 0; i < spatial; i++) {
      if (kernel == null || kernel.length != spatial || pads[i] >= kernel[i]
          || pads[spatial + i] >= kernel[i]) {
        return "AveragePool " + pool.name() + " would pad as much as its kernel, which ONNX"
            + " Runtime refuses";
      }
    }
    return null;
  }

  private static String maxCondition(Node pool, double value, long[] pads) {
    if (value != Double.NEGATIVE_INFINITY) {
      return "a MaxPool ignores padding like -inf, not " + value;
    }
    if (pool.intAttr("ceil_mode", 0) != 0 || pool.outputCount() > 1 && pool.output(1) != null
        && pool.output(1).hasUses()) {
      return "MaxPool " + pool.name() + " rounds its output size up or has its indices read";
    }
    long[] kernel = pool.intsAttr("kernel_shape");
    long[] dilations = pool.hasAttribute("dilations") ? pool.intsAttr("dilations") : null;
    int spatial = pads.length / 2;
    for (int i = 0; i < spatial; i++) {
      if (kernel == null || kernel.length != spatial || pads[i] >= kernel[i]
          || pads[spatial + i] >= kernel[i] || dilations != null && dilations[i] != 1) {
        return "MaxPool " + pool.name() + " would have a window of padding only";
      }
    }
    return null;
  }

  private static boolean isPositiveZero(double v) {
    return Double.doubleToRawLongBits(v) == 0L;
  }

  /** The constant pad value (opset 11+; 0 when omitted), or null when it is not constant. */
  private static Double padValue(Node pad) {
    Value v = pad.inputCount() > 2 ? pad.input(2) : null;
    if (v == null) {
      return 0.0;
    }
    Tensor t = v.constant();
    return t == null || t.numElements() != 1 || !t.dtype().isFloatingPoint()
        ? null : t.toDoubleArray()[0];
  }

  @Override
  public void apply(Node op, Found m, Rewriter rw) {
    rw.setInput(op, 0, m.x());
    rw.setAttribute(op, "pads", new Attribute.IntsAttr(m.pads()));
    if (op.is("AveragePool")) {
      rw.setAttribute(op, "count_include_pad", new Attribute.IntAttr(1));
    }
    rw.erase(m.pad());
  }
}

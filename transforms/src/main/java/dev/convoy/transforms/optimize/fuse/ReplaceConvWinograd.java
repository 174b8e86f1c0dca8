package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Winograd;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float32 2-D 3x3 convolution of stride 1, dilation 1 and one group, with a constant weight (a
 * standard Conv or a {@code convoy::FusedConv} with its bias, residual, activation and affine
 * epilogue) becomes {@code convoy::WinogradConv}, whose weight input holds the filters transformed
 * for Winograd's F(2x2, 3x3) once, here ({@link Winograd#transformFilters}, in double): the
 * conv algorithm an engine builder picks offline, as TensorRT's tactics and MNN's or ncnn's
 * Winograd paths do. Only for the {@code cvy} target below O3 (O3's layout pass writes NhwcConv),
 * after the other conv fusions (O2's {@code late-winograd} set), so the conv has its epilogue.
 *
 * <p>It fires only where the kernel was measured faster than the direct (im2col + GEMM) one, by
 * a rule on static shapes: at least {@value #MIN_CHANNELS} input channels and at least
 * {@value #MIN_TILES} 2x2 output tiles. Basis (docs/benchmarks.md, section hwino, {@code
 * tools/winograd/conv-timing}: thread CPU time of one conv, one thread, every 3x3 stride-1 shape
 * of the dev models): with 64 or more input channels and 100 or more tiles Winograd took
 * 0.63-0.84x the direct kernel (ResNet's 64@56x56 and 128@28x28, inception's 55x55 and 27x27
 * layers, PP-OCR's 96-channel heads, the super-resolution layers); with 49 tiles or fewer (13x13
 * and smaller maps) 0.57-2.97x, the 7x7 and 6x6 maps 2-3x (the 16 products are too narrow for
 * the GEMM's packing); with 48 or fewer input channels 0.76-2.6x (the transforms outweigh the
 * saved multiplications). Measured on a loaded machine: one JVM in three or four timed a shape
 * differently. The input's spatial size must be
 * static (the batch may be symbolic); a dynamic one is left to the direct kernel.
 *
 * <p>Opt-in: it fires only when named by {@code --enable} (it keeps its place in O2's {@code
 * late-winograd} set). Winograd reassociates each output's sum, and on the hold-out model
 * mlsd_320_large (whose outputs already differ by 0.007 between two direct summation orders,
 * Convoy's and ONNX Runtime's) it moved the {@code offsets} output 4.9e-4 (relative 0.013) from
 * the direct kernel's result, past the verification bar (rtol 1e-4, atol 1e-5): O2's verdict
 * there went from runtime drift to FAIL. Every dev model stays within the bar with it on.
 */
public final class ReplaceConvWinograd implements MatchingRule<ReplaceConvWinograd.Found> {
  public static final String NAME = "replace-conv-winograd";
  /** Fewest input channels where the transforms pay for themselves (see the class comment). */
  static final int MIN_CHANNELS = 64;
  /** Fewest 2x2 output tiles per image where the 16 products are wide enough. */
  static final int MIN_TILES = 100;

  /** The conv, its weight as [M, C, 3, 3] floats and its explicit pads [top, left, bottom, right]. */
  public record Found(Node conv, float[] weight, int m, int c, long[] pads) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    // Roots in two domains (a Pattern holds one): the first predicate checks the op.
    return Pattern.anyOp();
  }

  @Override
  public Match<Found> match(Node conv, Rewriter rw) {
    if (!Matchers.convOrFusedConv(conv) || conv.inputCount() < 2) {
      return Match.fail(conv.name() + " is neither a Conv nor a convoy::FusedConv");
    }
    if (!rw.options().enabled().contains(NAME)) {
      return Match.fail(NAME + " is opt-in (--enable " + NAME + ")");
    }
    String gate = Matchers.notNchwConvoy(rw, "O3 converts the convs to NHWC");
    if (gate != null) {
      return Match.fail(gate);
    }
    Tensor w = conv.input(1).constant();
    if (w == null || w.dtype() != DType.FLOAT || w.rank() != 4 || w.dims()[2] != 3
        || w.dims()[3] != 3) {
      return Match.fail(conv.input(1).name() + " is not a constant float32 3x3 weight");
    }
    if (conv.intAttr("group", 1) != 1) {
      return Match.fail(conv.name() + " has more than one group");
    }
    if (!allOnes(conv.intsAttr("strides"))) {
      return Match.fail(conv.name() + " has a stride other than 1");
    }
    if (!allOnes(conv.intsAttr("dilations"))) {
      return Match.fail(conv.name() + " has a dilation other than 1");
    }
    if (Facts.dtype(conv.input(0)) != DType.FLOAT || Facts.dtype(conv.output(0)) != DType.FLOAT) {
      return Match.fail(conv.name() + " is not float32");
    }
    Shape x = Facts.shape(conv.input(0));
    if (x == null || !x.hasRank() || x.rank() != 4 || !x.dim(2).isStatic()
        || !x.dim(3).isStatic()) {
      return Match.fail(conv.name() + " has no static spatial size");
    }
    long[] pads = pads(conv, x.dim(2).size(), x.dim(3).size());
    if (pads == null) {
      return Match.fail(conv.name() + " has pads the tiling does not take");
    }
    int m = (int) w.dims()[0];
    int c = (int) w.dims()[1];
    long ho = x.dim(2).size() + pads[0] + pads[2] - 2;
    long wo = x.dim(3).size() + pads[1] + pads[3] - 2;
    long tiles = ((ho + 1) / 2) * ((wo + 1) / 2);
    if (c < MIN_CHANNELS || tiles < MIN_TILES) {
      return Match.fail(conv.name() + " has " + c + " input channels and " + tiles
          + " tiles: measured slower than the direct kernel (needs " + MIN_CHANNELS + " and "
          + MIN_TILES + ")");
    }
    return Match.of(new Found(conv, w.toFloatArray(), m, c, pads));
  }

  private static boolean allOnes(long[] v) {
    if (v != null) {
      for (long s : v) {
        if (s != 1) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The explicit pads {@code [top, left, bottom, right]} of a 3x3 stride-1 conv over an {@code h
   * x w} input (SAME_* pads one each side, VALID none), or null when not four non-negative ones.
   */
  private static long[] pads(Node conv, long h, long w) {
    String auto = conv.stringAttr("auto_pad", "NOTSET");
    long[] p = switch (auto) {
      case "SAME_UPPER", "SAME_LOWER" -> new long[] {1, 1, 1, 1};
      case "VALID" -> new long[4];
      case "NOTSET", "" -> conv.intsAttr("pads") == null ? new long[4] : conv.intsAttr("pads");
      default -> null;
    };
    if (p == null || p.length != 4) {
      return null;
    }
    for (long v : p) {
      if (v < 0) {
        return null;
      }
    }
    return p;
  }

  @Override
  public void apply(Node conv, Found f, Rewriter rw) {
    Value u = rw.constant(conv.graph(), Tensor.ofFloats(new long[] {Winograd.POSITIONS, f.m(),
        f.c()}, Winograd.transformFilters(f.weight(), f.m(), f.c())),
        conv.input(1).name() + "_winograd");
    List<Value> in = new ArrayList<>(conv.inputs());
    in.set(1, u);
    while (in.size() > 2 && in.get(in.size() - 1) == null) {
      in.remove(in.size() - 1);
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("pads", new Attribute.IntsAttr(f.pads()));
    for (String epilogue : List.of("activation", "activation_params", "post_scale",
        "post_shift")) {
      if (conv.hasAttribute(epilogue)) {
        attrs.put(epilogue, conv.attributes().get(epilogue));
      }
    }
    rw.replaceWithNew(conv, conv.output(0), OpCatalog.CONVOY_DOMAIN, 1, "WinogradConv", in,
        attrs, conv.name());
    rw.erase(conv);
  }
}

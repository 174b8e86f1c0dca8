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
import java.util.List;
import java.util.Map;

/**
 * A spatial pyramid of max pools (YOLO's SPP: MaxPool 5, 9 and 13 of one input, stride 1, each
 * padded to keep the size): a same-size MaxPool of float32 {@code X} whose input also feeds an
 * earlier same-size MaxPool with a smaller window (or a {@code convoy::ChainedMaxPool} already
 * made of one) becomes {@code convoy::ChainedMaxPool(that result, X)}, which pools the smaller
 * pool's result with the difference window (what SPPF computes): 25 taps per output for MaxPool 9
 * and 13 instead of 81 and 169, the same values (NaN windows included, see the op). The largest
 * such sibling wins; it must come earlier in the graph, so the new node reads a defined value.
 * Only for the {@code cvy} target below O3 (O3's layout pass has no channels-last form of the
 * chained pool and would keep it NCHW between Transposes, where NhwcMaxPool runs the pyramid).
 */
public final class FuseMaxPoolChain implements MatchingRule<FuseMaxPoolChain.Found> {
  public static final String NAME = "fuse-max-pool-chain";

  /** The earlier pool to read, its window and the pool's own. */
  public record Found(Value inner, long[] innerKernel, long[] kernel) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("MaxPool");
  }

  @Override
  public Match<Found> match(Node pool, Rewriter rw) {
    String gate = Matchers.notNchwConvoy(rw, "O3 converts the pools to NHWC");
    if (gate != null) {
      return Match.fail(gate);
    }
    long[] k = sameSizeWindow(pool);
    if (k == null) {
      return Match.fail(pool.name() + " is not a stride-1 2-D float32 MaxPool padded to keep"
          + " its size with an odd window");
    }
    if (Matchers.outputRead(pool, 1)) {
      return Match.fail(pool.name() + "'s indices are read");
    }
    Value x = pool.input(0);
    List<Node> order = pool.graph().nodes();
    int at = order.indexOf(pool);
    Node best = null;
    long[] bestKernel = null;
    for (var use : x.uses()) {
      Node s = use.node();
      long[] sk = s == pool || s.graph() != pool.graph() || order.indexOf(s) > at ? null
          : s.is("MaxPool") && s.domain().isEmpty() ? sameSizeWindow(s)
          : isChained(s) && s.input(1) == x ? s.intsAttr("kernel_shape") : null;
      if (sk != null && sk[0] <= k[0] && sk[1] <= k[1] && (sk[0] < k[0] || sk[1] < k[1])
          && (bestKernel == null || sk[0] * sk[1] > bestKernel[0] * bestKernel[1])) {
        best = s;
        bestKernel = sk;
      }
    }
    if (best == null) {
      return Match.fail("no earlier same-size MaxPool of " + x.name() + " has a smaller window");
    }
    return Match.of(new Found(best.output(0), bestKernel, k));
  }

  private static boolean isChained(Node n) {
    return n.domain().equals(OpCatalog.CONVOY_DOMAIN) && n.opType().equals("ChainedMaxPool");
  }

  /**
   * The window of a stride-1, dilation-1, 2-D float32 MaxPool padded by half of an odd window on
   * each side (explicit pads or SAME padding), whose output has its input's size; else null.
   */
  private static long[] sameSizeWindow(Node pool) {
    Value x = pool.input(0);
    long[] k = pool.intsAttr("kernel_shape");
    if (Facts.rank(x) != 4 || Facts.dtype(x) != DType.FLOAT || k == null || k.length != 2
        || k[0] % 2 == 0 || k[1] % 2 == 0 || !allOnes(pool.intsAttr("strides"))
        || !allOnes(pool.intsAttr("dilations"))) {
      return null;
    }
    String autoPad = pool.stringAttr("auto_pad", "NOTSET");
    if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
      return k;
    }
    long[] pads = pool.intsAttr("pads");
    if (!autoPad.equals("NOTSET") || pads == null || pads.length != 4) {
      return null;
    }
    for (int i = 0; i < 4; i++) {
      if (pads[i] != (k[i % 2] - 1) / 2) {
        return null;
      }
    }
    return k;
  }

  private static boolean allOnes(long[] v) {
    if (v != null) {
      for (long e : v) {
        if (e != 1) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public void apply(Node pool, Found f, Rewriter rw) {
    rw.replaceWithNew(pool, pool.output(0), OpCatalog.CONVOY_DOMAIN, 1, "ChainedMaxPool",
        List.of(f.inner(), pool.input(0)),
        Map.of("kernel_shape", new Attribute.IntsAttr(f.kernel()),
            "inner_kernel_shape", new Attribute.IntsAttr(f.innerKernel())), pool.name());
    rw.erase(pool);
  }
}

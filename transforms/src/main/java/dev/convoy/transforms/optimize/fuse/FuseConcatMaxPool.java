package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
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
 * A 2-D float32 MaxPool of a Concat along the channel axis, the Concat read by nothing else
 * (SqueezeNet's pools after a Fire module, GoogLeNet's after an Inception module), becomes {@code
 * convoy::ConcatMaxPool} of the Concat's inputs: each input pooled straight into its slice of the
 * output channels, so the concatenated tensor (a copy of every input element, and the largest
 * tensor of those blocks) is never written. Exact: a max pool reads one channel plane per output
 * plane, and the op runs MaxPool's own kernel on each. Only for the {@code cvy} target below O3
 * (O3's layout pass has no channels-last form of the op; it converts the Concat and the pool).
 */
public final class FuseConcatMaxPool implements MatchingRule<FuseConcatMaxPool.Found> {
  public static final String NAME = "fuse-concat-max-pool";

  /** The Concat whose inputs the fused op reads. */
  public record Found(Node concat) {}

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
    String gate = Matchers.notNchwConvoy(rw, "O3 converts the Concat and the pool to NHWC");
    if (gate != null) {
      return Match.fail(gate);
    }
    if (Matchers.outputRead(pool, 1)) {
      return Match.fail(pool.name() + "'s indices are read");
    }
    var x = pool.input(0);
    long[] k = pool.intsAttr("kernel_shape");
    if (Facts.rank(x) != 4 || Facts.dtype(x) != DType.FLOAT || k == null || k.length != 2) {
      return Match.fail(pool.name() + " is not a 2-D MaxPool of a float32 [N, C, H, W] tensor");
    }
    Node cat = x.producer();
    if (cat == null || cat.graph() != pool.graph() || !cat.domain().isEmpty()
        || !cat.is("Concat")) {
      return Match.fail(x.name() + " is not made by a Concat");
    }
    if (Facts.axis(cat, 1, 4) != 1) {
      return Match.fail(x.name() + " is not concatenated along the channel axis");
    }
    if (cat.inputs().contains(null)) {
      return Match.fail(cat.name() + " has an omitted input");
    }
    String notSole = Matchers.notSoleUse(x, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    return Match.of(new Found(cat));
  }

  @Override
  public void apply(Node pool, Found f, Rewriter rw) {
    Map<String, Attribute> attrs = new LinkedHashMap<>(pool.attributes());
    // Without the indices output, storage_order means nothing; the fused op has no such attribute.
    attrs.remove("storage_order");
    rw.fuse(pool, List.of(pool, f.concat()), OpCatalog.CONVOY_DOMAIN, 1, "ConcatMaxPool",
        f.concat().inputs(), attrs, pool.name(), List.of(pool.output(0)));
  }
}

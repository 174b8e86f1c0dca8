package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code Reshape -> Transpose -> Reshape} that moves blocks between depth and space is one
 * {@code DepthToSpace} or {@code SpaceToDepth}, whose ONNX definitions are exactly these three
 * steps: for {@code x: [N, C, H, W]} and block size b, DepthToSpace DCR reshapes to
 * {@code [N, b, b, C/b^2, H, W]}, permutes {@code [0, 3, 4, 1, 5, 2]} and reshapes to
 * {@code [N, C/b^2, H*b, W*b]}; CRD reshapes to {@code [N, C/b^2, b, b, H, W]} and permutes
 * {@code [0, 1, 4, 2, 5, 3]}; SpaceToDepth reshapes to {@code [N, C, H/b, b, W/b, b]}, permutes
 * {@code [0, 3, 5, 1, 2, 4]} and reshapes to {@code [N, C*b*b, H/b, W/b]}. The rule reads the
 * intermediate shapes from the inferred types, so C, H and W must be known numbers (N may be
 * symbolic but must be the same dim throughout), the values float or double (the types ONNX
 * Runtime runs these ops on), and the first Reshape and the Transpose must each feed only the
 * next step. The last Reshape becomes the op.
 */
public final class FuseDepthToSpace implements MatchingRule<FuseDepthToSpace.Found> {
  public static final String NAME = "fuse-depth-to-space";

  /** The op to make, its mode (DepthToSpace only), block size, input and the nodes that go. */
  public record Found(String op, String mode, long blocksize, Value x, Node transpose,
      Node reshape) {}

  private static final long[] DCR = {0, 3, 4, 1, 5, 2};
  private static final long[] CRD = {0, 1, 4, 2, 5, 3};
  private static final long[] S2D = {0, 3, 5, 1, 2, 4};

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    Match<Node> tm = Matchers.soleProducer(root.input(0), "Transpose");
    if (!tm.ok()) {
      return tm.cast();
    }
    Node t = tm.value();
    Match<Node> rm = Matchers.soleProducer(t.input(0), "Reshape");
    if (!rm.ok()) {
      return rm.cast();
    }
    Node r1 = rm.value();
    Value x = r1.input(0);
    DType type = Facts.dtype(x);
    if (type != DType.FLOAT && type != DType.DOUBLE) {
      return Match.fail(x.name() + " is " + type + "; ONNX Runtime moves only float and double"
          + " blocks");
    }
    Shape sx = Facts.shape(x);
    Shape s1 = Facts.shape(r1.output(0));
    Shape s2 = Facts.shape(root.output(0));
    long[] perm = t.intsAttr("perm");
    if (sx == null || s1 == null || s2 == null || !sx.hasRank() || !s1.hasRank()
        || !s2.hasRank() || sx.rank() != 4 || s1.rank() != 6 || s2.rank() != 4 || perm == null) {
      return Match.fail("not a rank 4 -> 6 -> 4 reshape, transpose, reshape with known ranks");
    }
    Dim n = sx.dims().get(0);
    if (n instanceof Dim.Unknown || !n.equals(s1.dims().get(0)) || !n.equals(s2.dims().get(0))) {
      return Match.fail("the batch dim is not the same known dim throughout");
    }
    long[] x4 = tail(sx);
    long[] d1 = tail(s1);
    long[] d2 = tail(s2);
    if (x4 == null || d1 == null || d2 == null) {
      return Match.fail("channel and spatial dims are not all known numbers");
    }
    long c = x4[0];
    long h = x4[1];
    long w = x4[2];
    if (Arrays.equals(perm, DCR) || Arrays.equals(perm, CRD)) {
      boolean dcr = Arrays.equals(perm, DCR);
      if (!dcr && root.graph().opsetVersion("") < 11) {
        return Match.fail("DepthToSpace mode CRD needs opset 11");
      }
      long b = dcr ? d1[0] : d1[1];
      long[] want1 = dcr ? new long[] {b, b, c / (b * b), h, w}
          : new long[] {c / (b * b), b, b, h, w};
      if (b > 0 && c % (b * b) == 0 && Arrays.equals(d1, want1)
          && Arrays.equals(d2, new long[] {c / (b * b), h * b, w * b})) {
        return Match.of(new Found("DepthToSpace", dcr ? "DCR" : "CRD", b, x, t, r1));
      }
      return Match.fail("shapes " + s1 + " and " + s2 + " are not a DepthToSpace of " + sx);
    }
    if (Arrays.equals(perm, S2D)) {
      long b = d1[2];
      if (b > 0 && h % b == 0 && w % b == 0
          && Arrays.equals(d1, new long[] {c, h / b, b, w / b, b})
          && Arrays.equals(d2, new long[] {c * b * b, h / b, w / b})) {
        return Match.of(new Found("SpaceToDepth", null, b, x, t, r1));
      }
      return Match.fail("shapes " + s1 + " and " + s2 + " are not a SpaceToDepth of " + sx);
    }
    return Match.fail("Transpose " + t.name() + " perm " + Arrays.toString(perm)
        + " moves no blocks between depth and space");
  }

  /** The sizes after the batch dim, or null when any is not a known number. */
  private static long[] tail(Shape s) {
    long[] out = new long[s.rank() - 1];
    for (int i = 1; i < s.rank(); i++) {
      if (!(s.dims().get(i) instanceof Dim.Static st)) {
        return null;
      }
      out[i - 1] = st.size();
    }
    return out;
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    for (String a : new ArrayList<>(root.attributes().keySet())) {
      rw.removeAttribute(root, a);
    }
    rw.setOpType(root, m.op());
    rw.setInputs(root, new ArrayList<>(List.of(m.x())));
    rw.setAttribute(root, "blocksize", new Attribute.IntAttr(m.blocksize()));
    if (m.mode() != null) {
      rw.setAttribute(root, "mode", Attribute.StringAttr.of(m.mode()));
    }
    rw.erase(m.transpose());
    rw.erase(m.reshape());
  }
}

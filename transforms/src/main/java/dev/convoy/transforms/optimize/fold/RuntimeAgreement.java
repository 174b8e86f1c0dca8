package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.util.List;
import java.util.Set;

/**
 * Where a folded constant would differ from what ONNX Runtime computes for the same node at run
 * time: the cases the ONNX spec leaves to the implementation (float to integer casts of NaN,
 * infinities and out-of-range values; integer reductions that overflow; signed zeros and NaN
 * ordering) and the ones where the reference runtime computes something other than Convoy's
 * kernel (float16 chains run in float32 without rounding between ops; TopK next to a NaN; a
 * reduction over an empty axis; MeanVarianceNormalization of a constant group; float to string
 * formatting). Folding any of them would change what the deployed model computes, so the node is
 * left for the runtime. Each check is written against the node's constant inputs and the
 * kernel's outputs; the cases are pinned by {@code FoldingAgreesWithOrtTest} with ORT as oracle.
 */
final class RuntimeAgreement {
  private RuntimeAgreement() {}

  /**
   * Ops whose float16/bfloat16 results are exact (data movement, comparisons, sign changes) or a
   * single rounding of the exact value (Cast), so they agree with ORT however it computes them.
   * Every other op on half floats runs in float32 inside ORT, which keeps float32 between
   * consecutive such ops: a folded chain, rounded after every op, would differ.
   */
  private static final Set<String> EXACT_IN_HALF = Set.of(
      "Identity", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Concat", "Split",
      "Slice", "Gather", "GatherElements", "GatherND", "Expand", "Tile", "Shape", "Size", "Cast",
      "CastLike", "Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Neg",
      "Abs", "Pad", "DepthToSpace", "SpaceToDepth", "Compress", "Trilu", "ConstantOfShape");

  /** Ops whose result with a NaN operand depends on how the runtime orders comparisons. */
  private static final Set<String> NAN_ORDERED =
      Set.of("TopK", "ArgMax", "ArgMin", "ReduceMax", "ReduceMin");

  /** Integer reductions whose sum may leave the type's range (ORT saturates; Java wraps). */
  private static final Set<String> SUMS =
      Set.of("ReduceSum", "ReduceMean", "ReduceL1", "CumSum", "Sum", "Mean");

  private static final Set<String> SQUARE_SUMS = Set.of("ReduceSumSquare", "ReduceL2");

  /**
   * Why folding {@code n} (default domain) with these constant inputs into these kernel outputs
   * would not reproduce ONNX Runtime, or null when it would.
   */
  static String refusal(Node n, List<Tensor> inputs, List<Tensor> outputs) {
    Tensor x = inputs.isEmpty() ? null : inputs.get(0);
    Tensor y = outputs.isEmpty() ? null : outputs.get(0);
    String half = halfPrecision(n, inputs, outputs);
    if (half != null) {
      return half;
    }
    if (x == null || y == null) {
      return null;
    }
    String op = n.opType();
    if (op.equals("Cast") || op.equals("CastLike")) {
      return cast(x, y.dtype());
    }
    if (NAN_ORDERED.contains(op) && hasNan(x)) {
      return "a NaN operand, which ONNX Runtime orders its own way";
    }
    if (op.startsWith("Reduce") && !op.equals("ReduceSum") && x.numElements() == 0
        && y.numElements() > 0) {
      return "a reduction over an empty axis, whose value ONNX Runtime picks its own way";
    }
    if (op.equals("Relu") && hasNegativeZero(x)) {
      return "Relu(-0.0), whose sign of zero the spec leaves open (ONNX Runtime keeps -0.0)";
    }
    if (op.equals("MeanVarianceNormalization") && hasConstantGroup(n, x)) {
      return "a group of equal values (zero variance), which ONNX Runtime turns into NaN";
    }
    return overflow(op, inputs, y);
  }

  private static String halfPrecision(Node n, List<Tensor> inputs, List<Tensor> outputs) {
    if (EXACT_IN_HALF.contains(n.opType())) {
      return n.opType().startsWith("Cast") && !inputs.isEmpty() && inputs.get(0) != null
          && inputs.get(0).dtype() == DType.DOUBLE && !outputs.isEmpty()
          && isHalf(outputs.get(0).dtype())
          ? "a float64 to half-float cast, which ONNX Runtime may round twice" : null;
    }
    for (List<Tensor> ts : List.of(inputs, outputs)) {
      for (Tensor t : ts) {
        if (t != null && isHalf(t.dtype())) {
          return "half-float arithmetic, which ONNX Runtime computes in float32 across a chain"
              + " of such ops without rounding in between";
        }
      }
    }
    return null;
  }

  private static boolean isHalf(DType d) {
    return d == DType.FLOAT16 || d == DType.BFLOAT16;
  }

  /** Float to integer of NaN, infinities or truncated values out of range; float to string. */
  private static String cast(Tensor x, DType to) {
    if (!x.dtype().isFloatingPoint()) {
      return null;
    }
    if (to == DType.STRING) {
      return "a float to string cast, whose text ONNX Runtime formats its own way";
    }
    if (!to.isInteger()) {
      return null;
    }
    double[] range = range(to);
    for (double v : x.toDoubleArray()) {
      double t = v < 0 ? Math.ceil(v) : Math.floor(v);
      if (!(t >= range[0] && t <= range[1])) {
        return "a cast of " + v + " to " + to.textName() + ", which the spec leaves undefined";
      }
    }
    return null;
  }

  /** The smallest and largest value of an integer type, as doubles that are exactly in range. */
  private static double[] range(DType d) {
    int bits = d.bitWidth();
    if (d.isSigned()) {
      // 2^(bits-1) - 1 is not a double for 64 bits; the next double below 2^63 is in range.
      double max = bits == 64 ? Math.nextDown(0x1p63) : Math.pow(2, bits - 1) - 1;
      return new double[] {-Math.pow(2, bits - 1), max};
    }
    return new double[] {0, bits == 64 ? Math.nextDown(0x1p64) : Math.pow(2, bits) - 1};
  }

  /** An integer sum, sum of squares or product whose exact value may not fit its type. */
  private static String overflow(String op, List<Tensor> inputs, Tensor y) {
    boolean sums = SUMS.contains(op);
    boolean squares = SQUARE_SUMS.contains(op);
    boolean product = op.equals("ReduceProd");
    if (!(sums || squares || product) || !y.dtype().isInteger()) {
      return null;
    }
    // Bounds on every output's exact value, over all elements (axes inputs included, harmless).
    double bound = product ? 1 : 0;
    for (Tensor t : inputs) {
      if (t != null && t.dtype().isInteger()) {
        for (double v : t.toDoubleArray()) {
          double a = Math.abs(v);
          bound = product ? bound * Math.max(1, a) : bound + (squares ? a * a : a);
        }
      }
    }
    return bound > range(y.dtype())[1]
        ? "an integer " + op + " that may overflow " + y.dtype().textName()
            + " (ONNX Runtime saturates where the spec leaves it undefined)"
        : null;
  }

  private static boolean hasNan(Tensor t) {
    if (!t.dtype().isFloatingPoint()) {
      return false;
    }
    for (double v : t.toDoubleArray()) {
      if (Double.isNaN(v)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasNegativeZero(Tensor t) {
    if (!t.dtype().isFloatingPoint()) {
      return false;
    }
    for (double v : t.toDoubleArray()) {
      if (v == 0 && Double.doubleToRawLongBits(v) != 0) {
        return true;
      }
    }
    return false;
  }

  /** Whether some group MVN normalizes over (default axes 0, 2, 3) holds one value only. */
  private static boolean hasConstantGroup(Node n, Tensor x) {
    long[] dims = x.dims();
    int rank = dims.length;
    boolean[] reduced = new boolean[rank];
    long[] axes = n.intsAttr("axes");
    for (long a : axes != null ? axes : new long[] {0, 2, 3}) {
      int ax = (int) (a < 0 ? a + rank : a);
      if (ax >= 0 && ax < rank) {
        reduced[ax] = true;
      }
    }
    // Each element's group is its index with the reduced axes dropped.
    long[] groupStride = new long[rank];
    long groups = 1;
    for (int d = rank - 1; d >= 0; d--) {
      groupStride[d] = reduced[d] ? 0 : groups;
      groups *= reduced[d] ? 1 : dims[d];
    }
    double[] v = x.toDoubleArray();
    double[] first = new double[(int) groups];
    boolean[] seen = new boolean[(int) groups];
    boolean[] varies = new boolean[(int) groups];
    long[] idx = new long[rank];
    for (double value : v) {
      int g = 0;
      for (int d = 0; d < rank; d++) {
        g += (int) (idx[d] * groupStride[d]);
      }
      if (!seen[g]) {
        seen[g] = true;
        first[g] = value;
      } else if (first[g] != value) {
        varies[g] = true;
      }
      for (int d = rank - 1; d >= 0 && ++idx[d] == dims[d]; d--) {
        idx[d] = 0;
      }
    }
    for (int g = 0; g < groups; g++) {
      if (seen[g] && !varies[g]) {
        return true;
      }
    }
    return false;
  }
}

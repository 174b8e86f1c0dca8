package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import java.nio.charset.StandardCharsets;

/**
 * Cast and CastLike, every version: Cast-6 and CastLike-15 convert between the classic types
 * (strings parse and print numbers as the ONNX reference does); from opset 19 the 8-bit float
 * types and the {@code saturate} attribute arrive (opset 21 adds int4/uint4, 23 float4e2m1, 25
 * int2/uint2; none of these change the semantics of the other types), encoded through
 * {@link NarrowTypes}.
 */
public final class Cast implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Cast", 6).requiredAttr("to").optionalAttr("saturate")
        .shape(ctx -> ShapeFns.tensor(target(ctx, ctx.attrLong("to")), ctx.shape(0)))
        .kernel(ctx -> one(classic(ctx, ctx.tensor(0), target(ctx, ctx.attrLong("to")))));
    r.op("CastLike", 15).inputs(2).optionalAttr("saturate")
        .shape(ctx -> ShapeFns.tensor(ctx.dtype(1), ctx.shape(0)))
        .kernel(ctx -> one(classic(ctx, ctx.tensor(0), ctx.tensor(1).dtype())));
    r.op("Cast", 19).requiredAttr("to").attr("saturate", 1L).optionalAttr("round_mode")
        .shape(ctx -> ShapeFns.tensor(target(ctx, ctx.attrLong("to")), ctx.shape(0)))
        .kernel(ctx -> one(cast(ctx, ctx.tensor(0), target(ctx, ctx.attrLong("to")),
            ctx.attrLong("saturate") != 0)));
    r.op("CastLike", 19).inputs(2).attr("saturate", 1L).optionalAttr("round_mode")
        .shape(ctx -> ShapeFns.tensor(ctx.dtype(1), ctx.shape(0)))
        .kernel(ctx -> one(cast(ctx, ctx.tensor(0), ctx.tensor(1).dtype(),
            ctx.attrLong("saturate") != 0)));
  }

  private static DType target(NodeContext ctx, long code) {
    DType t = DType.fromOnnx((int) code);
    if (!t.isSupported()) {
      throw new UnsupportedOpException(ctx.where() + ": cast to " + t.textName()
          + " is not supported");
    }
    return t;
  }

  /**
   * {@code x} converted to {@code to}. Narrow floats round to nearest even with the ONNX overflow
   * rules of {@code saturate}; sub-byte integers truncate and wrap like every integer narrowing
   * (int4 of 8.0 is -8, as the ONNX reference data has it).
   */
  static NdArray cast(NodeContext ctx, NdArray x, DType to, boolean saturate) {
    DType from = x.dtype();
    if (from == to) {
      return x;
    }
    boolean narrowFloat = NarrowTypes.isNarrowFloat(to);
    boolean subByteInt = NarrowTypes.packedBits(to) > 0 && !narrowFloat;
    if (!narrowFloat && !subByteInt) {
      return classic(ctx, x, to);
    }
    NdArray src = from == DType.STRING ? classic(ctx, x, DType.DOUBLE) : x;
    int n = src.size();
    byte[] out = new byte[n];
    if (narrowFloat) {
      for (int i = 0; i < n; i++) {
        out[i] = (byte) NarrowTypes.encode(to, src.getDouble(i), saturate);
      }
    } else {
      for (int i = 0; i < n; i++) {
        out[i] = (byte) NarrowTypes.wrapInteger(to, src.getLong(i));
      }
    }
    return NdArray.wrap(to, src.dims(), out);
  }

  private static NdArray classic(NodeContext ctx, NdArray x, DType to) {
    DType from = x.dtype();
    if (from == to) {
      return x;
    }
    if (to == DType.STRING) {
      return castToString(x);
    }
    if (from == DType.STRING) {
      byte[][] s = x.strings();
      double[] v = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        String text = new String(s[i], StandardCharsets.UTF_8).trim();
        try {
          v[i] = parseNumber(text);
        } catch (NumberFormatException e) {
          throw ctx.error("cannot cast string '" + text + "' to " + to.textName());
        }
      }
      return Kernels.convert(NdArray.wrap(DType.DOUBLE, x.dims(), v), to);
    }
    return Kernels.convert(x, to);
  }

  private static double parseNumber(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT)) {
      case "nan", "+nan", "-nan" -> Double.NaN;
      case "inf", "+inf", "infinity", "+infinity" -> Double.POSITIVE_INFINITY;
      case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  private static NdArray castToString(NdArray x) {
    int n = x.size();
    byte[][] out = new byte[n][];
    for (int i = 0; i < n; i++) {
      String s;
      if (x.dtype() == DType.BOOL) {
        s = x.getLong(i) != 0 ? "True" : "False";
      } else if (x.dtype().isFloatingPoint()) {
        s = formatFloat(x.getDouble(i), x.dtype() == DType.DOUBLE);
      } else if (x.dtype() == DType.UINT64) {
        s = Long.toUnsignedString(x.getLong(i));
      } else {
        s = Long.toString(x.getLong(i));
      }
      out[i] = s.getBytes(StandardCharsets.UTF_8);
    }
    return NdArray.wrap(DType.STRING, x.dims(), out);
  }

  /** Shortest round-trip text like numpy's str(): {@code 1.5}, {@code 1e-05}, {@code inf}. */
  private static String formatFloat(double v, boolean isDouble) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    String s = isDouble ? Double.toString(v) : Float.toString((float) v);
    int e = s.indexOf('E');
    if (e < 0) {
      return s;
    }
    String mant = s.substring(0, e);
    if (mant.endsWith(".0")) {
      mant = mant.substring(0, mant.length() - 2);
    }
    int exp = Integer.parseInt(s.substring(e + 1));
    return mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
  }
}

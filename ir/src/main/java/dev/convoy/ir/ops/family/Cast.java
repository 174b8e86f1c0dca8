package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.NarrowTypes;

/**
 * Cast and CastLike from opset 19, where the 8-bit float types and the {@code saturate}
 * attribute arrive (opset 21 adds int4/uint4, 23 float4e2m1, 25 int2/uint2; none of these change
 * the semantics of the other types). Casts between the classic types are exactly
 * {@link Elementwise}'s Cast-6 (which stays the entry for older opsets); this family adds the
 * narrow types through {@link NarrowTypes}.
 */
public final class Cast implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
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
      return Elementwise.cast(ctx, x, to);
    }
    NdArray src = from == DType.STRING ? Elementwise.cast(ctx, x, DType.DOUBLE) : x;
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
}

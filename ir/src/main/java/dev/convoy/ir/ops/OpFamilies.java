package dev.convoy.ir.ops;

import java.util.List;

/**
 * The explicit list of op families that make up the standard catalog. Adding a family is one new
 * file implementing {@link OpFamily} plus one line here.
 */
public final class OpFamilies {
  private OpFamilies() {}

  public static List<OpFamily> all() {
    return List.of(
        new Elementwise(),
        new MatMulGemm(),
        new Conv(),
        new Normalization(),
        new Reduce(),
        new Pooling(),
        new ControlFlow(),
        new Sequence(),
        new Recurrent(),
        new Detection(),
        new ShapeOps(),
        new Layout(),
        new Indexing(),
        new ResizeOps(),
        new TensorMisc(),
        new CastOps(),
        new Quantize(),
        new AttentionOps(),
        new Losses(),
        new Signal(),
        new StringOps(),
        new Training(),
        new ConvoyFused());
  }
}

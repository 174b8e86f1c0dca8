package dev.convoy.ir.ops.family;

import dev.convoy.ir.ops.OpFamily;
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
        new RoiPooling(),
        new ControlFlow(),
        new Sequence(),
        new Recurrent(),
        new Detection(),
        new Reshaping(),
        new Generators(),
        new Layout(),
        new Concat(),
        new Slice(),
        new Gather(),
        new Scatter(),
        new Select(),
        new Sorting(),
        new Resize(),
        new GridSample(),
        new TensorMisc(),
        new Cast(),
        new Quantize(),
        new QuantizedConv(),
        new QuantizedGemm(),
        new Attention(),
        new Losses(),
        new Signal(),
        new Strings(),
        new Training(),
        new ConvoyFused(),
        new WinogradConv(),
        new ChainedMaxPool(),
        new SeparableConv(),
        new ConcatMaxPool(),
        new ConcatShuffleSplit(),
        new ConvoyAttention(),
        new NhwcConv(),
        new NhwcPooling(),
        new NhwcRearrange(),
        new NhwcNorm());
  }
}

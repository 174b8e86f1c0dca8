package dev.convoy.transforms.optimize.fuse;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-max-pool-chain}: YOLO's spatial pyramid of max pools keeps its outputs (evaluator,
 * and ONNX Runtime on the exported expansion), also where the smaller pool is a graph output or
 * has other readers (it stays); and the reasons it gives where it must not fire.
 */
class FuseMaxPoolChainTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  private static final String SPP = """
      graph g (%%x: float32[1,3,13,13]) -> (%%y: float32[1,12,13,13]) {
        opset "" 12
        %%a: float32[1,3,13,13] = MaxPool(%%x) {kernel_shape=[5,5], pads=[2,2,2,2]} @pool5
        %%b: float32[1,3,13,13] = MaxPool(%%x) {kernel_shape=[9,9], pads=[4,4,4,4]} @root
        %%c: float32[1,3,13,13] = MaxPool(%%x) {kernel_shape=[13,13], pads=[6,6,6,6]} @pool13
        %%y = Concat(%%x, %%a, %%b, %%c) {axis=1} @concat
      }
      """;

  /** One pool of window {@code k} before the root's 9x9 (strides {@code s}), nothing else. */
  private static String pair(int k, String strides, String rootDims) {
    return """
        graph g (%%x: float32[1,3,13,13]) -> (%%a: float32[1,3,13,13], %%b: float32[%s]) {
          opset "" 12
          %%a = MaxPool(%%x) {kernel_shape=[%d,%d], pads=[%d,%d,%d,%d]} @first
          %%b = MaxPool(%%x) {kernel_shape=[9,9], pads=[4,4,4,4], strides=[%s]} @root
        }
        """.formatted(rootDims, k, k, k / 2, k / 2, k / 2, k / 2, strides);
  }

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseMaxPoolChain(), text, "root").with(CVY);
  }

  @Test
  void chainsThePyramidAndKeepsOutputs() {
    cases(String.format(SPP)).firesAndKeepsOutputs();
  }

  @Test
  void firesWhateverElseReadsTheSmallerPool() {
    // The smaller pool stays: its other readers and its place as a graph output are untouched.
    RuleCases c = cases(String.format(SPP).replace("-> (%y: float32[1,12,13,13])",
        "-> (%y: float32[1,12,13,13], %a: float32[1,3,13,13])"));
    c.firesAndKeepsOutputs();
  }

  @Test
  void notWithAStride() {
    cases(pair(5, "1,2", "1,3,13,7"))
        .notFiring("root is not a stride-1 2-D float32 MaxPool padded to keep its size");
  }

  @Test
  void notWithoutASmallerPoolBefore() {
    cases(pair(11, "1,1", "1,3,13,13"))
        .notFiring("no earlier same-size MaxPool of x has a smaller window");
  }

  @Test
  void notOnTheStandardTargetNorAtO3() {
    cases(String.format(SPP)).with(OptimizeOptions.atLevel(Level.O2))
        .notFiring("the target has no convoy ops");
    cases(String.format(SPP)).with(OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .notFiring("O3 converts the pools to NHWC");
  }
}

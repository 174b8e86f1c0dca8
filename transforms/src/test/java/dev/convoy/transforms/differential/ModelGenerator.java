package dev.convoy.transforms.differential;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded generator of small real-shaped ONNX models (as canonical text) for the differential
 * test: one seed, one model. A model is a CNN stem, a transformer layer, a quantized (QDQ) network,
 * a recurrent or control-flow network, chaining two or three blocks of its kind from {@link
 * ImageBlocks}, {@link SequenceBlocks}, {@link QdqBlocks} and {@link ControlBlocks}. The choices
 * cover what the optimizer's rules look at (from seed {@link #STAGES_FROM}, also the whole blocks
 * of the architectures the O2 fusions are written for): opsets 13 to 21 (23 for attention), float32 and
 * sometimes float16 or float64, a static or symbolic batch of 1 or more, intermediates that are
 * graph outputs or have a second reader, and constants just off a pattern's value.
 */
final class ModelGenerator {
  /** One generated model: its text, the concrete input shapes, and a second set of sizes. */
  record Generated(long seed, String kind, String floatType, String text,
      Map<String, long[]> shapes, Map<String, long[]> altShapes, boolean dynamic) {
    String name() {
      return kind + "-" + seed;
    }
  }

  /**
   * The first seed of the session-8 generator, which adds whole architecture blocks ({@link
   * StageBlocks}, {@link SequenceBlocks#transformerLayer}, quantized separable convolutions and
   * MLPs); seeds below it draw exactly the models earlier sessions reported, so a named finding
   * stays reproducible.
   */
  static final long STAGES_FROM = 100_000;

  private ModelGenerator() {}

  static Generated generate(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    String kind = switch (rng.nextInt(10)) {
      case 0, 1, 2, 3 -> "cnn";
      case 4, 5, 6 -> "transformer";
      case 7, 8 -> "qdq";
      default -> "control";
    };
    int opset = 13 + rng.nextInt(9);
    if (kind.equals("transformer") && rng.nextInt(5) == 0) {
      opset = 23;
    }
    String floatType = "float32";
    int r = rng.nextInt(10);
    // ONNX Runtime's CPU Conv and pooling are float32 only: CNNs and QDQ stay float32.
    boolean anyFloat = kind.equals("transformer") || kind.equals("control");
    if (anyFloat && r == 0) {
      floatType = "float16";
    } else if (anyFloat && r == 1) {
      floatType = "float64";
    }
    ModelText m = new ModelText(rng, opset);
    boolean dynamic = rng.nextInt(3) == 0;
    long batch = rng.nextInt(4) == 0 ? 2 : 1;
    String[] sym = dynamic ? new String[] {"N", null, null, null} : null;
    boolean stages = seed >= STAGES_FROM;
    switch (kind) {
      case "cnn" -> {
        ImageBlocks b = new ImageBlocks(m, floatType);
        StageBlocks st = stages ? new StageBlocks(m, floatType) : null;
        long c = b.oneOf(1L, 3L, 4L);
        long hw = b.oneOf(5L, 6L, 8L);
        boolean wide = st != null && rng.nextInt(6) == 0;
        if (wide) {
          hw = b.oneOf(20L, 23L);
        }
        String x = m.input(floatType, new long[] {batch, c, hw, hw}, sym,
            new long[] {batch + 2, c, hw, hw});
        Blocks.V v = new Blocks.V(x, new long[] {batch, c, hw, hw});
        if (wide) {
          v = st.wide3x3(v);
        }
        int n = 1 + rng.nextInt(3);
        for (int i = 0; i < n && v.rank() == 4 && v.dim(2) >= 2 && v.dim(3) >= 2; i++) {
          v = st != null && rng.nextInt(2) == 0 ? st.any(v) : b.any(v);
        }
        m.output(v.name());
      }
      case "transformer" -> {
        SequenceBlocks b = new SequenceBlocks(m, floatType);
        long s = b.oneOf(3L, 5L, 7L);
        long d = b.oneOf(4L, 8L);
        String x = m.input(floatType, new long[] {batch, s, d}, sym, new long[] {batch + 2, s, d});
        Blocks.V v = new Blocks.V(x, new long[] {batch, s, d});
        if (rng.nextInt(2) == 0) {
          String mask = rng.nextBoolean() ? null : m.input(floatType, new long[] {batch, 1, 1, s},
              sym, new long[] {batch + 2, 1, 1, s});
          v = stages && rng.nextBoolean() ? b.transformerLayer(v, mask) : b.attention(v, mask);
        }
        int n = 1 + rng.nextInt(2);
        for (int i = 0; i < n; i++) {
          v = b.any(v);
        }
        m.output(v.name());
      }
      case "qdq" -> {
        QdqBlocks b = new QdqBlocks(m);
        if (stages && rng.nextInt(3) == 0) {
          Blocks.V v;
          if (rng.nextBoolean()) {
            long c = b.oneOf(2L, 3L, 4L);
            String x = m.input("float32", new long[] {batch, c, 6, 6}, sym,
                new long[] {batch + 2, c, 6, 6});
            v = b.depthwiseSeparable(new Blocks.V(x, new long[] {batch, c, 6, 6}));
          } else {
            String x = m.input("float32", new long[] {batch, 4, 8}, sym,
                new long[] {batch + 2, 4, 8});
            v = b.mlp(new Blocks.V(x, new long[] {batch, 4, 8}));
          }
          m.output(v.name());
        } else if (rng.nextBoolean()) {
          long c = b.oneOf(2L, 3L);
          String x = m.input("float32", new long[] {batch, c, 6, 6}, sym,
              new long[] {batch + 2, c, 6, 6});
          Blocks.V v = new Blocks.V(x, new long[] {batch, c, 6, 6});
          v = b.conv(v);
          v = rng.nextBoolean() ? b.shapeOp(v) : b.roundTrip(v);
          if (rng.nextBoolean() && v.dim(2) > 1) {
            v = b.conv(v);
          }
          m.output(v.name());
        } else if (rng.nextInt(3) > 0) {
          String x = m.input("float32", new long[] {batch, 4, 8}, sym, new long[] {batch + 2, 4, 8});
          Blocks.V v = b.matmul(new Blocks.V(x, new long[] {batch, 4, 8}));
          v = rng.nextBoolean() ? b.roundTrip(v) : b.matmul(v);
          m.output(v.name());
        } else {
          String x = m.input("float32", new long[] {batch, 4, 8}, sym, new long[] {batch + 2, 4, 8});
          Blocks.V v = b.dynamicMatMul(new Blocks.V(x, new long[] {batch, 4, 8}));
          if (rng.nextBoolean()) {
            v = b.dynamicMatMul(v);
          }
          m.output(v.name());
        }
      }
      default -> {
        ControlBlocks b = new ControlBlocks(m, floatType);
        SequenceBlocks s = new SequenceBlocks(m, floatType);
        String x = m.input(floatType, new long[] {batch, 4, 6}, sym, new long[] {batch + 2, 4, 6});
        Blocks.V v = new Blocks.V(x, new long[] {batch, 4, 6});
        v = switch (rng.nextInt(4)) {
          case 0, 1 -> b.recurrent(v);
          case 2 -> b.branch(v);
          default -> b.loop(v);
        };
        if (rng.nextBoolean()) {
          v = s.any(v);
        }
        m.output(v.name());
      }
    }
    return new Generated(seed, kind, floatType, m.text(kind.replace('-', '_') + "_" + seed), m.shapes(),
        m.altShapes(), dynamic);
  }
}

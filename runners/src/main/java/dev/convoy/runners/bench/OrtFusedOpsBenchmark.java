package dev.convoy.runners.bench;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.LatencyProbe;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * What ONNX Runtime makes of the standard ops Convoy's fusions write at opset 23: per op and input
 * shape, a graph of four chained copies of the op against the same four as the chain of standard
 * ops it replaces, both in ONNX Runtime (one thread, its optimizations off, as the O2 suite times
 * models), alternating in one run, with the two compared on seeded inputs. The shapes are
 * tiny_vit's and all-minilm-l6-v2-q's and sizes around where a fused op stops paying; the figures
 * are the measured basis of the size limits in {@code fuse-layer-norm} and {@code fuse-rms-norm}
 * and of the attention forms {@code fuse-attention} and {@code fuse-multi-head-attention} write.
 */
public final class OrtFusedOpsBenchmark {
  private static final int COPIES = 4;

  private OrtFusedOpsBenchmark() {}

  /** One op at one shape: the graphs (canonical text) of the chain and of the fused op. */
  private record Case(String op, String shape, String chain, String fused) {}

  public static BenchTable run(int warmup, int reps) {
    BenchTable table = new BenchTable(
        "ONNX Runtime on fused standard ops against the chains they replace (opset 23)",
        "op", "input", "chain ms", "fused ms", "fused / chain", "same outputs");
    LatencyProbe probe = new LatencyProbe(Math.max(1, warmup), Math.max(15, reps));
    try (OrtVerifier verifier = new OrtVerifier()) {
      for (Case c : cases()) {
        Graph chain = GraphParser.parse(c.chain());
        byte[] a = OnnxExporter.toBytes(chain);
        byte[] b = OnnxExporter.toBytes(GraphParser.parse(c.fused()));
        Map<String, Tensor> inputs = SeededInputs.generate(chain, Map.of());
        boolean same = verifier.compare(a, b, inputs).pass();
        double[] ms = FusionBenchmark.alternating(() -> probe.ort(a, inputs),
            () -> probe.ort(b, inputs));
        table.row(c.op(), c.shape(), ms[0], ms[1], ms[1] / ms[0], same ? "yes" : "NO");
      }
    }
    return table.note("Each graph holds " + COPIES + " chained copies. ONNX Runtime, one thread,"
        + " its optimizations off; median over " + FusionBenchmark.ROUNDS
        + " alternating rounds of the median of "
        + probe.runs() + " runs after " + Math.max(1, warmup) + " warm-up runs. Attention 3-D one"
        + " head: [B*H, S, D] (PyTorch's merged batch and heads, tiny_vit); 4-D: [B, H, S, D];"
        + " 3-D merged heads: [B, S, H*D] with q_num_heads = H, against the head split, core and"
        + " merge it replaces.");
  }

  private static List<Case> cases() {
    return List.of(
        layerNorm(1, 128), layerNorm(1, 384), layerNorm(4, 128), layerNorm(1, 768),
        layerNorm(8, 128), layerNorm(16, 384), layerNorm(65, 128), layerNorm(197, 768),
        rmsNorm(4, 128), rmsNorm(1, 4096), rmsNorm(65, 256), rmsNorm(16, 1536),
        rmsNorm(197, 768), gelu(65, 256), gelu(16, 1536),
        attention(4, 65, 32, false), attention(12, 16, 32, false), attention(4, 65, 32, true),
        attention(12, 16, 32, true), attentionMerged(4, 65, 32), attentionMerged(12, 16, 32));
  }

  private static String graph(String inputs, String output, String inits, String body) {
    return "graph g (" + inputs + ") -> (%y: " + output + ") {\n  opset \"\" 23\n" + inits
        + body + "}\n";
  }

  private static String floats(String name, long n, float first, float step) {
    StringBuilder sb = new StringBuilder("  init %" + name + ": float32[" + n + "] = [");
    for (int i = 0; i < n; i++) {
      sb.append(i > 0 ? ", " : "").append(first + step * i);
    }
    return sb.append("]\n").toString();
  }

  /** {@link #COPIES} chained applications of {@code step(i)}, from {@code %x} to {@code %y}. */
  private static String chained(IntFunction<String> step) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < COPIES; i++) {
      String in = i == 0 ? "%x" : "%o" + (i - 1);
      String out = i == COPIES - 1 ? "%y" : "%o" + i;
      sb.append(step.apply(i).replace("IN", in).replace("OUT", out));
    }
    return sb.toString();
  }

  private static final String SCALARS = """
        init %two: float32[] = [2.0]
        init %eps: float32[] = [1e-05]
        init %last: int64[1] = [-1]
      """;

  /**
   * A case on one {@code [rows, h]} input whose chain and fused op are {@code chainStep} and
   * {@code fusedStep} per copy (formats: 1 the copy, 2 the input's type, 3 the type of one value
   * per row; {@code IN} and {@code OUT} the copy's input and output).
   */
  private static Case rowCase(String op, long rows, long h, String inits, String chainStep,
      String fusedStep) {
    String t = "float32[" + rows + "," + h + "]";
    String r = "float32[" + rows + ",1]";
    String in = "%x: " + t;
    return new Case(op, "[" + rows + "," + h + "]",
        graph(in, t, inits, chained(i -> String.format(chainStep, i, t, r))),
        graph(in, t, inits, chained(i -> String.format(fusedStep, i, t, r))));
  }

  private static Case layerNorm(long rows, long h) {
    return rowCase("LayerNormalization", rows, h,
        SCALARS + floats("gamma", h, 1f, 0.01f) + floats("beta", h, 0f, 0.02f), """
          %%m%1$d: %3$s = ReduceMean(IN, %%last)
          %%d%1$d: %2$s = Sub(IN, %%m%1$d)
          %%p%1$d: %2$s = Pow(%%d%1$d, %%two)
          %%v%1$d: %3$s = ReduceMean(%%p%1$d, %%last)
          %%e%1$d: %3$s = Add(%%v%1$d, %%eps)
          %%s%1$d: %3$s = Sqrt(%%e%1$d)
          %%n%1$d: %2$s = Div(%%d%1$d, %%s%1$d)
          %%g%1$d: %2$s = Mul(%%n%1$d, %%gamma)
          OUT: %2$s = Add(%%g%1$d, %%beta)
        """, "  OUT: %2$s = LayerNormalization(IN, %%gamma, %%beta) {axis=-1, epsilon=1e-05}\n");
  }

  private static Case rmsNorm(long rows, long h) {
    return rowCase("RMSNormalization", rows, h, SCALARS + floats("gamma", h, 1f, 0.01f), """
          %%p%1$d: %2$s = Pow(IN, %%two)
          %%v%1$d: %3$s = ReduceMean(%%p%1$d, %%last)
          %%e%1$d: %3$s = Add(%%v%1$d, %%eps)
          %%s%1$d: %3$s = Sqrt(%%e%1$d)
          %%n%1$d: %2$s = Div(IN, %%s%1$d)
          OUT: %2$s = Mul(%%n%1$d, %%gamma)
        """, "  OUT: %2$s = RMSNormalization(IN, %%gamma) {axis=-1, epsilon=1e-05}\n");
  }

  private static Case gelu(long rows, long h) {
    return rowCase("Gelu", rows, h, """
          init %sqrt2: float32[] = [1.4142135]
          init %one: float32[] = [1.0]
          init %half: float32[] = [0.5]
        """, """
          %%d%1$d: %2$s = Div(IN, %%sqrt2)
          %%e%1$d: %2$s = Erf(%%d%1$d)
          %%a%1$d: %2$s = Add(%%e%1$d, %%one)
          %%m%1$d: %2$s = Mul(IN, %%a%1$d)
          OUT: %2$s = Mul(%%m%1$d, %%half)
        """, "  OUT: %2$s = Gelu(IN)\n");
  }

  /** The scaled dot-product core on Q (chained), K and V of {@code t}, K transposed by perm. */
  private static String core(String t, String kt, String scores, String perm) {
    return chained(i -> String.format("""
          %%kt%1$d: %3$s = Transpose(%%k) {perm=%5$s}
          %%s%1$d: %4$s = MatMul(IN, %%kt%1$d)
          %%c%1$d: %4$s = Mul(%%s%1$d, %%scale)
          %%p%1$d: %4$s = Softmax(%%c%1$d) {axis=-1}
          OUT: %2$s = MatMul(%%p%1$d, %%v)
        """, i, t, kt, scores, perm));
  }

  private static String scale(long d) {
    return "  init %scale: float32[] = [" + (float) (1 / Math.sqrt(d)) + "]\n";
  }

  private static String qkv(String t) {
    return "%x: " + t + ", %k: " + t + ", %v: " + t;
  }

  /**
   * The core on Q, K and V of one layout: with {@code headsDim} 4-D {@code [1, H, S, D]}, the
   * op's 4-D form; without, 3-D {@code [H, S, D]} (merged batch and heads) written as one head.
   */
  private static Case attention(long heads, long s, long d, boolean headsDim) {
    String lead = headsDim ? "float32[1," : "float32[";
    String t = lead + heads + "," + s + "," + d + "]";
    String chain = core(t, lead + heads + "," + d + "," + s + "]",
        lead + heads + "," + s + "," + s + "]", headsDim ? "[0,1,3,2]" : "[0,2,1]");
    String heads3d = headsDim ? "" : "q_num_heads=1, kv_num_heads=1, ";
    String fused = chained(i -> "  OUT: " + t + " = Attention(IN, %k, %v) {" + heads3d
        + "scale=" + (float) (1 / Math.sqrt(d)) + "}\n");
    return new Case(headsDim ? "Attention, 4-D" : "Attention, 3-D one head",
        t.substring("float32".length()), graph(qkv(t), t, scale(d), chain),
        graph(qkv(t), t, scale(d), fused));
  }

  private static Case attentionMerged(long heads, long s, long d) {
    String t = "float32[1," + s + "," + heads * d + "]";
    String split = "float32[1," + s + "," + heads + "," + d + "]";
    String h = "float32[1," + heads + "," + s + "," + d + "]";
    String scores = "float32[1," + heads + "," + s + "," + s + "]";
    String inits = scale(d) + "  init %split: int64[4] = [1, " + s + ", " + heads + ", " + d
        + "]\n  init %merge: int64[3] = [1, " + s + ", " + heads * d + "]\n";
    String chain = chained(i -> String.format("""
          %%qr%1$d: %3$s = Reshape(IN, %%split)
          %%qh%1$d: %4$s = Transpose(%%qr%1$d) {perm=[0,2,1,3]}
          %%kr%1$d: %3$s = Reshape(%%k, %%split)
          %%kt%1$d: float32[1,%6$d,%7$d,%8$d] = Transpose(%%kr%1$d) {perm=[0,2,3,1]}
          %%vr%1$d: %3$s = Reshape(%%v, %%split)
          %%vh%1$d: %4$s = Transpose(%%vr%1$d) {perm=[0,2,1,3]}
          %%s%1$d: %5$s = MatMul(%%qh%1$d, %%kt%1$d)
          %%c%1$d: %5$s = Mul(%%s%1$d, %%scale)
          %%p%1$d: %5$s = Softmax(%%c%1$d) {axis=-1}
          %%a%1$d: %4$s = MatMul(%%p%1$d, %%vh%1$d)
          %%at%1$d: %3$s = Transpose(%%a%1$d) {perm=[0,2,1,3]}
          OUT: %2$s = Reshape(%%at%1$d, %%merge)
        """, i, t, split, h, scores, heads, d, s));
    String fused = chained(i -> "  OUT: " + t + " = Attention(IN, %k, %v) {q_num_heads=" + heads
        + ", kv_num_heads=" + heads + ", scale=" + (float) (1 / Math.sqrt(d)) + "}\n");
    return new Case("Attention, 3-D merged heads", "[1," + s + "," + heads * d + "], H " + heads,
        graph(qkv(t), t, inits, chain), graph(qkv(t), t, inits, fused));
  }
}

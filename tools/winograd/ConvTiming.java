import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Winograd;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One 3x3 stride-1 conv (pads 1, ReLU) of shape CxMxHxW, one thread: convoy::FusedConv (the direct
 * im2col + GEMM kernel) against convoy::WinogradConv on the same data, each in an evaluator
 * session, alternating, after at least 3 s of warm-up; prints the median and the minimum thread
 * CPU time of each over REPS runs and their ratio. The basis of replace-conv-winograd's shape rule
 * (see tools/winograd/conv-timing, which runs one JVM per shape).
 */
public class ConvTiming {
  public static void main(String[] args) {
    int reps = Integer.parseInt(args[0]);
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.serial());
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (int i = 1; i < args.length; i++) {
      int[] d = Arrays.stream(args[i].split("x")).mapToInt(Integer::parseInt).toArray();
      int c = d[0];
      int m = d[1];
      int h = d[2];
      int w = d[3];
      Random r = new Random(i);
      float[] x = new float[c * h * w];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) r.nextGaussian();
      }
      float[] g = new float[m * c * 9];
      for (int k = 0; k < g.length; k++) {
        g[k] = (float) (r.nextGaussian() / Math.sqrt(9.0 * c));
      }
      float[] b = new float[m];
      var direct = ev.session(graph(c, m, h, w, "FusedConv", g, b, new long[] {m, c, 3, 3}));
      var wino = ev.session(graph(c, m, h, w, "WinogradConv", Winograd.transformFilters(g, m, c),
          b, new long[] {16, m, c}));
      Map<String, RuntimeValue> in = Map.of("x", NdArray.ofFloats(new long[] {1, c, h, w}, x));
      long until = System.nanoTime() + 3_000_000_000L;
      for (int k = 0; k < 5 || System.nanoTime() < until; k++) {
        direct.run(in);
        wino.run(in);
      }
      double[] td = new double[reps];
      double[] tw = new double[reps];
      for (int k = 0; k < reps; k++) {
        long t0 = mx.getCurrentThreadCpuTime();
        direct.run(in);
        long t1 = mx.getCurrentThreadCpuTime();
        wino.run(in);
        long t2 = mx.getCurrentThreadCpuTime();
        td[k] = (t1 - t0) / 1e6;
        tw[k] = (t2 - t1) / 1e6;
      }
      Arrays.sort(td);
      Arrays.sort(tw);
      long tiles = (long) ((h + 1) / 2) * ((w + 1) / 2);
      System.out.printf("| %d | %d | %dx%d | %d | %.3f | %.3f | %.2f | %.2f |%n", c, m, h, w,
          tiles, td[reps / 2], tw[reps / 2], tw[reps / 2] / td[reps / 2], tw[0] / td[0]);
    }
  }

  private static Graph graph(int c, int m, int h, int w, String op, float[] wt, float[] b,
      long[] wd) {
    Graph g = new Graph();
    g.opsets().put("", 13L);
    g.opsets().put("convoy", 1L);
    Value x = g.addInput("x", new ValueType.TensorType(DType.FLOAT, Shape.of(1, c, h, w)));
    Value weight = g.addInitializer("W", Tensor.ofFloats(wd, wt));
    Value bias = g.addInitializer("B", Tensor.ofFloats(new long[] {m}, b));
    Map<String, Attribute> at = new LinkedHashMap<>();
    at.put("activation", Attribute.of("Relu"));
    at.put("pads", Attribute.of(1L, 1L, 1L, 1L));
    if (op.equals("FusedConv")) {
      at.put("kernel_shape", Attribute.of(3L, 3L));
    }
    Node n = g.addNode("convoy", op, List.of(x, weight, bias), List.of("y"), at);
    g.addOutput(n.output(0));
    return g;
  }
}

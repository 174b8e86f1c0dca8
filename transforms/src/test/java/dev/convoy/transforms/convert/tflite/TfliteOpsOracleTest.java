package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.tensorflow.lite.schema.BuiltinOperator.*;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.ConcatenationOptionsT;
import org.tensorflow.lite.schema.Conv2DOptionsT;
import org.tensorflow.lite.schema.DepthwiseConv2DOptionsT;
import org.tensorflow.lite.schema.DivOptionsT;
import org.tensorflow.lite.schema.FullyConnectedOptionsT;
import org.tensorflow.lite.schema.GatherOptionsT;
import org.tensorflow.lite.schema.IfOptionsT;
import org.tensorflow.lite.schema.LeakyReluOptionsT;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.Pool2DOptionsT;
import org.tensorflow.lite.schema.ReducerOptionsT;
import org.tensorflow.lite.schema.ResizeBilinearOptionsT;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptionsT;
import org.tensorflow.lite.schema.SoftmaxOptionsT;
import org.tensorflow.lite.schema.SplitOptionsT;
import org.tensorflow.lite.schema.SqueezeOptionsT;
import org.tensorflow.lite.schema.StridedSliceOptionsT;
import org.tensorflow.lite.schema.SubOptionsT;
import org.tensorflow.lite.schema.TensorType;
import org.tensorflow.lite.schema.TransposeConvOptionsT;
import org.tensorflow.lite.schema.UnidirectionalSequenceLSTMOptionsT;
import org.tensorflow.lite.schema.WhileOptionsT;

/**
 * Operators and variants of the common mobile set that the test models do not use (int8
 * per-channel and uint8 quantization, LSTM with peepholes, projection, clips, CIFG, time-major), each in a small model built
 * with the schema's object API, run by TFLite's runtime (tfjs-tflite) and by Convoy (evaluator and
 * ONNX Runtime on the exported graph) on seeded inputs; float outputs at rtol 1e-4 / atol 1e-5,
 * quantized outputs within one step, and exactly for the {@code int8_exact} cases, whose int8
 * products Convoy computes in integers as TFLite does.
 */
class TfliteOpsOracleTest {
  @TempDir Path tmp;

  private static final Map<String, Consumer<TinyTflite>> CASES = new LinkedHashMap<>();

  static {
    CASES.put("conv_same_stride2_relu6", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 7, 9, 3);
      int y = s.floats(1, 4, 5, 4);
      var o = conv(Padding.SAME, 2, 1, ActivationFunctionType.RELU6);
      s.op(CONV_2D, BuiltinOptions.Conv2DOptions, o,
          new int[] {x, s.weights(4, 3, 3, 3), s.weights(4)}, y);
      s.output(y);
    });
    CASES.put("conv_valid_dilated", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 8, 8, 3);
      int y = s.floats(1, 4, 4, 2);
      var o = conv(Padding.VALID, 1, 2, ActivationFunctionType.NONE);
      s.op(CONV_2D, BuiltinOptions.Conv2DOptions, o,
          new int[] {x, s.weights(2, 3, 3, 3), s.weights(2)}, y);
      s.output(y);
    });
    CASES.put("depthwise_multiplier2", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 6, 6, 3);
      int y = s.floats(1, 6, 6, 6);
      var o = depthwise(Padding.SAME, 1, 2);
      s.op(DEPTHWISE_CONV_2D, BuiltinOptions.DepthwiseConv2DOptions, o,
          new int[] {x, s.weights(1, 3, 3, 6), s.weights(6)}, y);
      s.output(y);
    });
    CASES.put("transpose_conv_same_stride2", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 4, 4, 3);
      int y = s.floats(1, 8, 8, 2);
      var o = new TransposeConvOptionsT();
      o.setPadding(Padding.SAME);
      o.setStrideH(2);
      o.setStrideW(2);
      s.op(TRANSPOSE_CONV, BuiltinOptions.TransposeConvOptions, o,
          new int[] {s.ints(new int[] {1, 8, 8, 2}, 4), s.weights(2, 3, 3, 3), x}, y);
      s.output(y);
    });
    CASES.put("average_pool_same_max_pool_valid", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 5, 5, 2);
      int a = s.floats(1, 3, 3, 2);
      int b = s.floats(1, 1, 1, 2);
      s.op(AVERAGE_POOL_2D, BuiltinOptions.Pool2DOptions, pool(Padding.SAME, 3, 2), new int[] {x}, a);
      s.op(MAX_POOL_2D, BuiltinOptions.Pool2DOptions, pool(Padding.VALID, 2, 2), new int[] {a}, b);
      s.output(a);
      s.output(b);
    });
    CASES.put("resize_bilinear_and_nearest", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 3, 4, 2);
      int size = s.ints(new int[] {6, 7}, 2);
      int[] outs = new int[5];
      for (int i = 0; i < 5; i++) {
        outs[i] = s.floats(1, 6, 7, 2);
      }
      s.op(RESIZE_BILINEAR, BuiltinOptions.ResizeBilinearOptions, bilinear(false, true),
          new int[] {x, size}, outs[0]);
      s.op(RESIZE_BILINEAR, BuiltinOptions.ResizeBilinearOptions, bilinear(true, false),
          new int[] {x, size}, outs[1]);
      s.op(RESIZE_BILINEAR, BuiltinOptions.ResizeBilinearOptions, bilinear(false, false),
          new int[] {x, size}, outs[2]);
      s.op(RESIZE_NEAREST_NEIGHBOR, BuiltinOptions.ResizeNearestNeighborOptions,
          nearest(false, false), new int[] {x, size}, outs[3]);
      s.op(RESIZE_NEAREST_NEIGHBOR, BuiltinOptions.ResizeNearestNeighborOptions,
          nearest(false, true), new int[] {x, size}, outs[4]);
      for (int o : outs) {
        s.output(o);
      }
    });
    CASES.put("strided_slice_masks_and_slice", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 2, 5, 6);
      int a = s.floats(2, 2, 6);
      var o = new StridedSliceOptionsT();
      o.setBeginMask(1);
      o.setEndMask(4);
      s.op(STRIDED_SLICE, BuiltinOptions.StridedSliceOptions, o, new int[] {x,
          s.ints(new int[] {1, 1, -1}, 3), s.ints(new int[] {2, 5, 0}, 3),
          s.ints(new int[] {1, 2, -1}, 3)}, a);
      int b = s.floats(5, 3);
      var shrink = new StridedSliceOptionsT();
      shrink.setShrinkAxisMask(1);
      s.op(STRIDED_SLICE, BuiltinOptions.StridedSliceOptions, shrink, new int[] {x,
          s.ints(new int[] {1, 0, 3}, 3), s.ints(new int[] {2, 5, 6}, 3),
          s.ints(new int[] {1, 1, 1}, 3)}, b);
      int c = s.floats(1, 3, 4);
      s.op(SLICE, (byte) 0, null, new int[] {x, s.ints(new int[] {1, 2, 2}, 3),
          s.ints(new int[] {-1, 3, 4}, 3)}, c);
      s.output(a);
      s.output(b);
      s.output(c);
    });
    CASES.put("pad_mean_softmax", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 3, 4, 5);
      int p = s.floats(1, 6, 5, 5);
      s.op(PAD, (byte) 0, null, new int[] {x, s.ints(new int[] {0, 0, 1, 2, 0, 1, 0, 0}, 4, 2)}, p);
      int mean = s.floats(1, 1, 1, 5);
      var r = new ReducerOptionsT();
      r.setKeepDims(true);
      s.op(MEAN, BuiltinOptions.ReducerOptions, r, new int[] {p, s.ints(new int[] {1, 2}, 2)}, mean);
      int sm = s.floats(1, 6, 5, 5);
      var so = new SoftmaxOptionsT();
      so.setBeta(0.5f);
      s.op(SOFTMAX, BuiltinOptions.SoftmaxOptions, so, new int[] {p}, sm);
      s.output(mean);
      s.output(sm);
    });
    CASES.put("concat_split_gather_transpose", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 2, 3, 4);
      int w = s.weights(2, 3, 2);
      int cat = s.floats(2, 3, 6);
      var co = new ConcatenationOptionsT();
      co.setAxis(2);
      s.op(CONCATENATION, BuiltinOptions.ConcatenationOptions, co, new int[] {x, w}, cat);
      int p0 = s.floats(2, 3, 2);
      int p1 = s.floats(2, 3, 2);
      int p2 = s.floats(2, 3, 2);
      var sp = new SplitOptionsT();
      sp.setNumSplits(3);
      s.op(SPLIT, BuiltinOptions.SplitOptions, sp, new int[] {s.ints(new int[] {2}), cat},
          p0, p1, p2);
      int g = s.floats(2, 2, 4);
      var go = new GatherOptionsT();
      go.setAxis(1);
      s.op(GATHER, BuiltinOptions.GatherOptions, go, new int[] {x, s.ints(new int[] {2, 0}, 2)}, g);
      int t = s.floats(4, 2, 3);
      s.op(TRANSPOSE, (byte) 0, null, new int[] {x, s.ints(new int[] {2, 0, 1}, 3)}, t);
      s.output(p0);
      s.output(p1);
      s.output(p2);
      s.output(g);
      s.output(t);
    });
    CASES.put("activations_and_fused_sub", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 4, 4, 3);
      int lr = s.floats(1, 4, 4, 3);
      var lo = new LeakyReluOptionsT();
      lo.setAlpha(0.3f);
      s.op(LEAKY_RELU, BuiltinOptions.LeakyReluOptions, lo, new int[] {x}, lr);
      int hs = s.floats(1, 4, 4, 3);
      s.op(HARD_SWISH, (byte) 0, null, new int[] {x}, hs);
      int pr = s.floats(1, 4, 4, 3);
      s.op(PRELU, (byte) 0, null, new int[] {x, s.weights(1, 1, 3)}, pr);
      int sub = s.floats(1, 4, 4, 3);
      var so = new SubOptionsT();
      so.setFusedActivationFunction(ActivationFunctionType.RELU_N1_TO_1);
      s.op(SUB, BuiltinOptions.SubOptions, so, new int[] {hs, pr}, sub);
      int th = s.floats(1, 4, 4, 3);
      s.op(TANH, (byte) 0, null, new int[] {sub}, th);
      s.output(lr);
      s.output(th);
    });
    CASES.put("fully_connected_keep_num_dims", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 3, 5);
      int y = s.floats(1, 3, 4);
      var o = new FullyConnectedOptionsT();
      o.setKeepNumDims(true);
      o.setFusedActivationFunction(ActivationFunctionType.RELU6);
      s.op(FULLY_CONNECTED, BuiltinOptions.FullyConnectedOptions, o,
          new int[] {x, s.weights(4, 5), s.weights(4)}, y);
      s.output(y);
    });
    CASES.put("while_loop", m -> {
      // while (i < 4.5) { i += 1; x *= 1.5 }
      var main = m.subgraph();
      var cond = m.subgraph();
      var body = m.subgraph();
      int i0 = main.input(TensorType.FLOAT32, 1);
      int x0 = main.input(TensorType.FLOAT32, 2, 3);
      int i1 = main.floats(1);
      int x1 = main.floats(2, 3);
      var wo = new WhileOptionsT();
      wo.setCondSubgraphIndex(1);
      wo.setBodySubgraphIndex(2);
      main.op(WHILE, BuiltinOptions.WhileOptions, wo, new int[] {i0, x0}, i1, x1);
      main.output(i1);
      main.output(x1);
      int ci = cond.input(TensorType.FLOAT32, 1);
      cond.input(TensorType.FLOAT32, 2, 3);
      int c = cond.tensor(TensorType.BOOL, 1);
      cond.op(LESS, (byte) 0, null, new int[] {ci, cond.scalarFloat(4.5f)}, c);
      cond.output(c);
      int bi = body.input(TensorType.FLOAT32, 1);
      int bx = body.input(TensorType.FLOAT32, 2, 3);
      int bi1 = body.floats(1);
      int bx1 = body.floats(2, 3);
      body.op(ADD, (byte) 0, null, new int[] {bi, body.scalarFloat(1f)}, bi1);
      body.op(MUL, (byte) 0, null, new int[] {bx, body.scalarFloat(1.5f)}, bx1);
      body.output(bi1);
      body.output(bx1);
    });
    CASES.put("if_branches", m -> {
      var main = m.subgraph();
      var then = m.subgraph();
      var otherwise = m.subgraph();
      int x = main.input(TensorType.FLOAT32, 2, 3);
      int sum = main.floats(1);
      var r = new ReducerOptionsT();
      r.setKeepDims(false);
      main.op(SUM, BuiltinOptions.ReducerOptions, r, new int[] {x, main.ints(new int[] {0, 1}, 2)},
          sum);
      int c = main.tensor(TensorType.BOOL);
      main.op(GREATER, (byte) 0, null, new int[] {sum, main.scalarFloat(3f)}, c);
      int y = main.floats(2, 3);
      var io = new IfOptionsT();
      io.setThenSubgraphIndex(1);
      io.setElseSubgraphIndex(2);
      main.op(IF, BuiltinOptions.IfOptions, io, new int[] {c, x}, y);
      main.output(y);
      int tx = then.input(TensorType.FLOAT32, 2, 3);
      int ty = then.floats(2, 3);
      then.op(MUL, (byte) 0, null, new int[] {tx, tx}, ty);
      then.output(ty);
      int ex = otherwise.input(TensorType.FLOAT32, 2, 3);
      int ey = otherwise.floats(2, 3);
      otherwise.op(NEG, (byte) 0, null, new int[] {ex}, ey);
      otherwise.output(ey);
    });
  }

  static {
    CASES.put("div_relu_squeeze_expand_reduce_max", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 3, 1, 4);
      int d = s.floats(1, 3, 1, 4);
      var o = new DivOptionsT();
      o.setFusedActivationFunction(ActivationFunctionType.RELU);
      s.op(DIV, BuiltinOptions.DivOptions, o, new int[] {x, s.scalarFloat(0.25f)}, d);
      int sq = s.floats(3, 4);
      var so = new SqueezeOptionsT();
      so.setSqueezeDims(new int[] {0, 2});
      s.op(SQUEEZE, BuiltinOptions.SqueezeOptions, so, new int[] {d}, sq);
      int ex = s.floats(3, 1, 4);
      s.op(EXPAND_DIMS, (byte) 0, null, new int[] {sq, s.ints(new int[] {1})}, ex);
      int mx = s.floats(1, 4);
      var r = new ReducerOptionsT();
      r.setKeepDims(false);
      s.op(REDUCE_MAX, BuiltinOptions.ReducerOptions, r, new int[] {ex, s.ints(new int[] {0}, 1)},
          mx);
      s.output(ex);
      s.output(mx);
    });
    CASES.put("int8_conv_and_depthwise_per_channel", m -> {
      var s = m.subgraph();
      float inScale = 0.05f;
      int x = s.quantized(s.input(TensorType.INT8, 1, 6, 6, 3), new float[] {inScale},
          new long[] {-3}, 0);
      float[] ws = {0.01f, 0.02f, 0.015f, 0.03f};
      int w = s.quantized(s.randomInts(TensorType.INT8, -127, 127, 4, 3, 3, 3), ws,
          new long[4], 0);
      int b = s.quantized(s.randomInts(TensorType.INT32, -2000, 2000, 4), scaled(ws, inScale),
          new long[4], 0);
      float midScale = 0.25f;
      int y = s.quantized(s.tensor(TensorType.INT8, 1, 6, 6, 4), new float[] {midScale},
          new long[] {2}, 0);
      var o = conv(Padding.SAME, 1, 1, ActivationFunctionType.RELU);
      s.op(CONV_2D, BuiltinOptions.Conv2DOptions, o, new int[] {x, w, b}, y);
      float[] dws = {0.02f, 0.01f, 0.03f, 0.015f};
      int dw = s.quantized(s.randomInts(TensorType.INT8, -127, 127, 1, 3, 3, 4), dws,
          new long[4], 3);
      int db = s.quantized(s.randomInts(TensorType.INT32, -500, 500, 4), scaled(dws, midScale),
          new long[4], 0);
      int z = s.quantized(s.tensor(TensorType.INT8, 1, 3, 3, 4), new float[] {0.5f},
          new long[] {-10}, 0);
      var d = depthwise(Padding.SAME, 2, 1);
      s.op(DEPTHWISE_CONV_2D, BuiltinOptions.DepthwiseConv2DOptions, d, new int[] {y, dw, db}, z);
      s.output(y);
      s.output(z);
    });
    // Scales from mobilenet_v2's int8 layers, 131,072 conv outputs of 288-term sums: the float
    // lowering (DQ -> Conv -> Q) rounds some of them to the other side of a half step; the
    // integer path (IntegerKernels) matches TFLite's XNNPACK kernels exactly.
    CASES.put("int8_exact_conv_and_fully_connected_relu6", m -> {
      var s = m.subgraph();
      float inScale = 0.0186311f;
      int x = s.quantized(s.input(TensorType.INT8, 1, 64, 64, 32), new float[] {inScale},
          new long[] {-14}, 0);
      float[] ws = new float[32];
      for (int c = 0; c < ws.length; c++) {
        ws[c] = 0.0021f + 0.00037f * c;
      }
      int w = s.quantized(s.randomInts(TensorType.INT8, -127, 127, 32, 3, 3, 32), ws,
          new long[32], 0);
      int b = s.quantized(s.randomInts(TensorType.INT32, -20000, 20000, 32),
          scaled(ws, inScale), new long[32], 0);
      float midScale = 0.0913f;
      int y = s.quantized(s.tensor(TensorType.INT8, 1, 64, 64, 32), new float[] {midScale},
          new long[] {3}, 0);
      s.op(CONV_2D, BuiltinOptions.Conv2DOptions, conv(Padding.SAME, 1, 1,
          ActivationFunctionType.NONE), new int[] {x, w, b}, y);
      int v = s.quantized(s.input(TensorType.INT8, 1, 1024), new float[] {midScale},
          new long[] {3}, 0);
      float fcScale = 0.0013f;
      int fw = s.quantized(s.randomInts(TensorType.INT8, -127, 127, 64, 1024),
          new float[] {fcScale}, new long[1], 0);
      int fb = s.quantized(s.randomInts(TensorType.INT32, -5000, 5000, 64),
          new float[] {midScale * fcScale}, new long[1], 0);
      int z = s.quantized(s.tensor(TensorType.INT8, 1, 64), new float[] {0.113735f},
          new long[] {-24}, 0);
      var relu6 = new FullyConnectedOptionsT();
      relu6.setFusedActivationFunction(ActivationFunctionType.RELU6);
      s.op(FULLY_CONNECTED, BuiltinOptions.FullyConnectedOptions, relu6, new int[] {v, fw, fb},
          z);
      s.output(y);
      s.output(z);
    });
    // int8 AVERAGE_POOL_2D (SAME, stride 2: windows of 4, 6 and 9 elements, many means exactly
    // halfway) through the integer path, which rounds the stored integers' mean half away from
    // zero as TFLite does; the float lowering put element 244 one step off.
    CASES.put("int8_exact_average_pool", m -> {
      var s = m.subgraph();
      int a = s.quantized(s.input(TensorType.INT8, 1, 32, 32, 16), new float[] {0.0913f},
          new long[] {3}, 0);
      int avg = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {0.0913f},
          new long[] {3}, 0);
      s.op(AVERAGE_POOL_2D, BuiltinOptions.Pool2DOptions, pool(Padding.SAME, 3, 2),
          new int[] {a}, avg);
      s.output(avg);
    });
    // int8 ADD, SUB, MUL, MEAN, LOGISTIC, TANH, SOFTMAX, HARD_SWISH and CONCATENATION on 4,096
    // elements each, held to one step: measured exact through the float lowering, but float
    // kernels (sums, transcendental functions) may round differently on another CPU, so
    // exactness is not guaranteed there. (int8 RESIZE_BILINEAR, which TFLite interpolates in
    // fixed point, measured one step off.)
    CASES.put("int8_elementwise_reductions_concatenation", m -> {
      var s = m.subgraph();
      int a = s.quantized(s.input(TensorType.INT8, 1, 16, 16, 16), new float[] {0.0913f},
          new long[] {3}, 0);
      int b = s.quantized(s.input(TensorType.INT8, 1, 16, 16, 16), new float[] {0.0671f},
          new long[] {-7}, 0);
      int lg = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {1f / 256},
          new long[] {-128}, 0);
      s.op(LOGISTIC, (byte) 0, null, new int[] {a}, lg);
      int th = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {1f / 128},
          new long[] {0}, 0);
      s.op(TANH, (byte) 0, null, new int[] {a}, th);
      int sm = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {1f / 256},
          new long[] {-128}, 0);
      var so = new SoftmaxOptionsT();
      so.setBeta(1f);
      s.op(SOFTMAX, BuiltinOptions.SoftmaxOptions, so, new int[] {a}, sm);
      int hs = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {0.0771f},
          new long[] {-90}, 0);
      s.op(HARD_SWISH, (byte) 0, null, new int[] {a}, hs);
      int cat = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 32), new float[] {0.0913f},
          new long[] {3}, 0);
      var co = new ConcatenationOptionsT();
      co.setAxis(3);
      s.op(CONCATENATION, BuiltinOptions.ConcatenationOptions, co, new int[] {a, a}, cat);
      int sub = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {0.1137f},
          new long[] {-2}, 0);
      s.op(SUB, (byte) 0, null, new int[] {a, b}, sub);
      int sum = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {0.1137f},
          new long[] {-2}, 0);
      s.op(ADD, (byte) 0, null, new int[] {a, b}, sum);
      int prod = s.quantized(s.tensor(TensorType.INT8, 1, 16, 16, 16), new float[] {0.2913f},
          new long[] {5}, 0);
      s.op(MUL, (byte) 0, null, new int[] {a, b}, prod);
      int mean = s.quantized(s.tensor(TensorType.INT8, 1, 1, 1, 16), new float[] {0.0317f},
          new long[] {-11}, 0);
      var r = new ReducerOptionsT();
      r.setKeepDims(true);
      s.op(MEAN, BuiltinOptions.ReducerOptions, r, new int[] {sum, s.ints(new int[] {1, 2}, 2)},
          mean);
      for (int t : new int[] {lg, th, sm, hs, cat, sub, sum, prod, mean}) {
        s.output(t);
      }
    });
    CASES.put("uint8_add_and_conv", m -> {
      var s = m.subgraph();
      int a = s.quantized(s.input(TensorType.UINT8, 1, 5, 5, 2), new float[] {0.02f},
          new long[] {128}, 0);
      int b = s.quantized(s.input(TensorType.UINT8, 1, 5, 5, 2), new float[] {0.03f},
          new long[] {100}, 0);
      float sumScale = 0.05f;
      int sum = s.quantized(s.tensor(TensorType.UINT8, 1, 5, 5, 2), new float[] {sumScale},
          new long[] {120}, 0);
      s.op(ADD, (byte) 0, null, new int[] {a, b}, sum);
      int w = s.quantized(s.randomInts(TensorType.UINT8, 0, 255, 3, 1, 1, 2),
          new float[] {0.01f}, new long[] {130}, 0);
      int bias = s.quantized(s.randomInts(TensorType.INT32, -300, 300, 3),
          new float[] {sumScale * 0.01f}, new long[1], 0);
      int y = s.quantized(s.tensor(TensorType.UINT8, 1, 5, 5, 3), new float[] {0.02f},
          new long[] {128}, 0);
      var o = conv(Padding.VALID, 1, 1, ActivationFunctionType.NONE);
      s.op(CONV_2D, BuiltinOptions.Conv2DOptions, o, new int[] {sum, w, bias}, y);
      s.output(sum);
      s.output(y);
    });
    CASES.put("lstm_peephole_projection_clips", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 1, 5, 3);
      int[] in = new int[24];
      java.util.Arrays.fill(in, -1);
      in[0] = x;
      for (int k = 1; k <= 4; k++) {
        in[k] = s.weights(4, 3);
        in[k + 4] = s.weights(4, 2);
        in[k + 11] = s.weights(4);
      }
      for (int k = 9; k <= 11; k++) {
        in[k] = s.weights(4);
      }
      in[16] = s.weights(2, 4);
      in[17] = s.weights(2);
      in[18] = s.variable(s.floats(1, 2));
      in[19] = s.variable(s.floats(1, 4));
      int y = s.floats(1, 5, 2);
      var o = new UnidirectionalSequenceLSTMOptionsT();
      o.setFusedActivationFunction(ActivationFunctionType.TANH);
      o.setCellClip(0.8f);
      o.setProjClip(0.5f);
      s.op(UNIDIRECTIONAL_SEQUENCE_LSTM, BuiltinOptions.UnidirectionalSequenceLSTMOptions, o, in,
          y);
      s.output(y);
    });
    CASES.put("lstm_cifg_time_major", m -> {
      var s = m.subgraph();
      int x = s.input(TensorType.FLOAT32, 4, 2, 3);
      int[] in = new int[20];
      java.util.Arrays.fill(in, -1);
      in[0] = x;
      for (int k = 2; k <= 4; k++) {
        in[k] = s.weights(5, 3);
        in[k + 4] = s.weights(5, 5);
        in[k + 11] = s.weights(5);
      }
      in[18] = s.variable(s.floats(2, 5));
      in[19] = s.variable(s.floats(2, 5));
      int y = s.floats(4, 2, 5);
      var o = new UnidirectionalSequenceLSTMOptionsT();
      o.setFusedActivationFunction(ActivationFunctionType.TANH);
      o.setTimeMajor(true);
      s.op(UNIDIRECTIONAL_SEQUENCE_LSTM, BuiltinOptions.UnidirectionalSequenceLSTMOptions, o, in,
          y);
      s.output(y);
    });
  }

  private static Conv2DOptionsT conv(byte padding, int stride, int dilation, byte activation) {
    var o = new Conv2DOptionsT();
    o.setPadding(padding);
    o.setStrideH(stride);
    o.setStrideW(stride);
    o.setDilationHFactor(dilation);
    o.setDilationWFactor(dilation);
    o.setFusedActivationFunction(activation);
    return o;
  }

  private static DepthwiseConv2DOptionsT depthwise(byte padding, int stride, int multiplier) {
    var o = new DepthwiseConv2DOptionsT();
    o.setPadding(padding);
    o.setStrideH(stride);
    o.setStrideW(stride);
    o.setDepthMultiplier(multiplier);
    o.setDilationHFactor(1);
    o.setDilationWFactor(1);
    return o;
  }

  private static float[] scaled(float[] scales, float by) {
    float[] out = new float[scales.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = scales[i] * by;
    }
    return out;
  }

  private static Pool2DOptionsT pool(byte padding, int k, int stride) {
    var o = new Pool2DOptionsT();
    o.setPadding(padding);
    o.setFilterHeight(k);
    o.setFilterWidth(k);
    o.setStrideH(stride);
    o.setStrideW(stride);
    return o;
  }

  private static ResizeBilinearOptionsT bilinear(boolean alignCorners, boolean halfPixel) {
    var o = new ResizeBilinearOptionsT();
    o.setAlignCorners(alignCorners);
    o.setHalfPixelCenters(halfPixel);
    return o;
  }

  private static ResizeNearestNeighborOptionsT nearest(boolean alignCorners, boolean halfPixel) {
    var o = new ResizeNearestNeighborOptionsT();
    o.setAlignCorners(alignCorners);
    o.setHalfPixelCenters(halfPixel);
    return o;
  }

  static Stream<String> cases() {
    return CASES.keySet().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void convoyMatchesTfliteRuntime(String name) throws Exception {
    TfliteOracle oracle = TfliteOracle.require();
    TinyTflite m = new TinyTflite();
    CASES.get(name).accept(m);
    Path file = tmp.resolve(name + ".tflite");
    Files.write(file, m.build());
    Graph g = TfliteImporter.importFile(file);
    Map<String, Tensor> inputs = SeededInputs.generate(g, Map.of(), 11);
    if (name.equals("while_loop")) {
      inputs.put(g.inputs().get(0).name(), Tensor.ofFloats(new long[] {1}, 0.5f));
    }
    List<Tensor> expected = oracle.run(file, new ArrayList<>(inputs.values()), tmp.resolve("o"));
    List<Tensor> fromEvaluator =
        new ArrayList<>(Evaluator.standard().runTensors(g, inputs).values());
    List<Tensor> fromOrt;
    try (OrtVerifier v = new OrtVerifier()) {
      fromOrt = new ArrayList<>(v.run(OnnxExporter.toBytes(g), inputs).values());
    }
    assertEquals(expected.size(), fromEvaluator.size(), "output count");
    for (int i = 0; i < expected.size(); i++) {
      TfliteModels.Bound bound = expected.get(i).dtype().isFloatingPoint()
          ? TfliteModels.Bound.FLOAT
          : name.startsWith("int8_exact") ? TfliteModels.Bound.EXACT : TfliteModels.Bound.ONE_STEP;
      assertNull(TfliteModels.compare(name + " evaluator output " + i, expected.get(i),
          fromEvaluator.get(i), bound));
      assertNull(TfliteModels.compare(name + " ORT output " + i, expected.get(i), fromOrt.get(i),
          bound));
    }
  }
}

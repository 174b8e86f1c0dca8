package dev.convoy.transforms.verify;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's offline optimization at level BASIC, the peer O1 is measured against: ORT
 * optimizes a model file while it creates a session and saves the result
 * ({@code setOptimizedModelFilePath}). Given input shapes reach ORT as free-dimension overrides
 * by the inputs' dim names; without them ORT keeps dynamic dims dynamic, as O1 does.
 */
public final class OrtBasic {
  /** The optimized model ORT saved and how long creating the session took. */
  public record Result(Graph graph, double millis) {}

  private OrtBasic() {}

  /**
   * Optimizes {@code model} (whose imported form is {@code declared}) at BASIC, writing the result
   * to {@code out}; {@code shapes} may be empty.
   */
  public static Result optimize(Path model, Graph declared, Map<String, long[]> shapes, Path out) {
    return optimize(model, declared, shapes, out, OrtSession.SessionOptions.OptLevel.BASIC_OPT);
  }

  /** The same at another of ONNX Runtime's optimization levels (EXTENDED for the O2 figures). */
  public static Result optimize(Path model, Graph declared, Map<String, long[]> shapes, Path out,
      OrtSession.SessionOptions.OptLevel level) {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(level);
      opts.setOptimizedModelFilePath(out.toString());
      opts.setIntraOpNumThreads(1);
      for (Value in : declared.inputs()) {
        long[] dims = shapes.get(in.name());
        if (dims == null || in.tensorType() == null || !in.tensorType().shape().hasRank()) {
          continue;
        }
        List<Dim> d = in.tensorType().shape().dims();
        for (int i = 0; i < d.size() && i < dims.length; i++) {
          if (d.get(i) instanceof Dim.Symbolic s) {
            opts.setSymbolicDimensionValue(s.name(), dims[i]);
          }
        }
      }
      long t0 = System.nanoTime();
      try (OrtSession s = OrtVerifier.environment().createSession(model.toString(), opts)) {
        double ms = (System.nanoTime() - t0) / 1e6;
        return new Result(OnnxImporter.importFile(out), ms);
      }
    } catch (OrtException e) {
      throw new ConvoyException(model + ": ONNX Runtime could not optimize it: " + e.getMessage());
    }
  }

  /** Whether ONNX Runtime loads the model in {@code bytes}; the error message when it does not. */
  public static String loadError(byte[] bytes) {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        OrtSession s = OrtVerifier.environment().createSession(bytes, opts)) {
      return null;
    } catch (OrtException e) {
      return e.getMessage();
    }
  }

  /**
   * Compute nodes as the optimizer comparison counts them: nodes in the graph and all its
   * subgraphs, less {@code Constant} nodes (ORT saves constants as initializers).
   */
  public static int computeNodes(Graph g) {
    int[] n = {0};
    g.forEachNode(node -> n[0] += node.domain().isEmpty() && node.is("Constant") ? 0 : 1);
    return n[0];
  }
}

package dev.convoy.transforms.convert;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.verify.ModelChecks;
import dev.convoy.transforms.convert.caffe.CaffeImporter;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.convert.tf.TfImporter;
import dev.convoy.transforms.convert.tflite.TfliteImporter;
import java.nio.file.Path;
import java.util.List;

/**
 * Loading and saving models in any supported format, chosen by content on read. Every model read
 * here passes {@link ModelChecks} before anything else sees it, so a model no runtime can load is
 * refused up front, naming the file.
 */
public final class Models {
  private Models() {}

  /** A model read and checked, with the checks' notes (ops of unknown domains carried through). */
  public record Loaded(Graph graph, List<String> notes) {
    public Loaded {
      notes = List.copyOf(notes);
    }
  }

  /** Reads and checks a model, sniffing its format; ops of unknown domains are refused. */
  public static Graph load(Path path) {
    return load(path, false).graph();
  }

  /**
   * Reads and checks a model, sniffing its format; with {@code allowUnknownDomains}, ops of
   * domains Convoy does not know are carried through unchanged, each with a note.
   */
  public static Loaded load(Path path, boolean allowUnknownDomains) {
    Graph g = switch (ModelFormat.sniff(path)) {
      case ONNX -> OnnxImporter.importFile(path);
      case CVY -> CvyReader.read(path);
      case TFLITE -> TfliteImporter.importFile(path);
      case CAFFE -> CaffeImporter.importModel(path);
      case TF -> TfImporter.importFile(path);
    };
    return new Loaded(g, ModelChecks.check(g, path.toString(), allowUnknownDomains));
  }

  /**
   * Reads a model stored as a definition plus a separate weights file (a Caffe prototxt and its
   * caffemodel), for a pair whose stems differ.
   */
  public static Graph load(Path definition, Path weights) {
    ModelFormat f = ModelFormat.sniff(definition);
    if (f != ModelFormat.CAFFE) {
      throw new ConvoyException(definition + ": a separate weights file (" + weights.getFileName()
          + ") goes with a Caffe prototxt, not a " + f.extension() + " model");
    }
    Graph g = CaffeImporter.importFiles(definition, weights, List.of());
    ModelChecks.check(g, definition.toString(), false);
    return g;
  }

  /** Writes {@code graph} to {@code path} in {@code format}. */
  public static void save(Graph graph, Path path, ModelFormat format) {
    switch (format) {
      case ONNX -> OnnxExporter.write(graph, path);
      case CVY -> CvyWriter.write(graph, path);
      case TFLITE, CAFFE, TF -> throw new ConvoyException(
          path + ": Convoy reads " + format.extension() + " but does not write it (use onnx or cvy)");
    }
  }
}

package dev.convoy.transforms.convert;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.convert.caffe.CaffeImporter;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.convert.tf.TfImporter;
import java.nio.file.Path;

/** Loading and saving models in any supported format, chosen by content on read. */
public final class Models {
  private Models() {}

  /** Reads a model, sniffing its format from the file's content. */
  public static Graph load(Path path) {
    return switch (ModelFormat.sniff(path)) {
      case ONNX -> OnnxImporter.importFile(path);
      case CVY -> CvyReader.read(path);
      case CAFFE -> CaffeImporter.importModel(path);
      case TF -> TfImporter.importFile(path);
    };
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
    return CaffeImporter.importFiles(definition, weights, java.util.List.of());
  }

  /** Writes {@code graph} to {@code path} in {@code format}. */
  public static void save(Graph graph, Path path, ModelFormat format) {
    switch (format) {
      case ONNX -> OnnxExporter.write(graph, path);
      case CVY -> CvyWriter.write(graph, path);
      case CAFFE, TF -> throw new ConvoyException(
          path + ": Convoy reads " + format.extension() + " models but writes only onnx and cvy");
    }
  }
}

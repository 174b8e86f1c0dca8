package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.ShapeInferenceException;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.SubGraph;

/**
 * Reads TFLite models ({@code .tflite}, FlatBuffers schema version 3) into Convoy's graph IR as
 * standard ONNX ops at opset {@value #OPSET}: subgraph 0 is the graph, other subgraphs become the
 * bodies of the Loop and If nodes that WHILE and IF call.
 *
 * <p>The file is memory-mapped and constant tensors are read-only slices of the mapping. TFLite's
 * NHWC operators become NCHW ONNX ops between explicit Transposes (the optimizer removes pairs);
 * the graph's inputs and outputs keep TFLite's shapes and element types, and the metadata records
 * {@code source_format=tflite} and {@code source_layout=NHWC}. Quantized tensors (int8, uint8,
 * int16, and int32 biases, per tensor or per channel) become QuantizeLinear / DequantizeLinear
 * pairs around float ops. Stateful operators (LSTM, SVDF) are imported for one invocation from
 * their initial state. Every problem with the file is a {@link ConvoyException} whose message
 * starts with the file name.
 */
public final class TfliteImporter {
  /** The ONNX opset of imported graphs: 21 is the first with 16-bit QuantizeLinear. */
  public static final long OPSET = 21;
  /** Metadata keys recording where a graph came from. */
  public static final String SOURCE_FORMAT = "source_format";
  public static final String SOURCE_LAYOUT = "source_layout";

  private TfliteImporter() {}

  /** Whether a file whose first {@code n} bytes are {@code head} carries the TFLite identifier. */
  public static boolean hasIdentifier(byte[] head, int n) {
    return n >= 8 && new String(head, 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1)
        .equals(TfliteFile.IDENTIFIER);
  }

  /** Imports the model in {@code file}. */
  public static Graph importFile(Path file) {
    String src = file.toString();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw TfliteFile.invalid(src, size + " bytes; a FlatBuffers file is at most 2 GiB");
      }
      return importBuffer(ch.map(FileChannel.MapMode.READ_ONLY, 0, size), src);
    } catch (NoSuchFileException e) {
      throw new ConvoyException(src + ": no such file");
    } catch (IOException e) {
      throw new ConvoyException(src + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /** Imports a model held in {@code bytes}, which the graph's constants alias afterwards. */
  public static Graph importBuffer(ByteBuffer bytes, String sourceName) {
    try {
      return convert(TfliteFile.parse(bytes, sourceName));
    } catch (IndexOutOfBoundsException | IllegalArgumentException | BufferUnderflowException
        | NegativeArraySizeException e) {
      // flatbuffers-java follows offsets without checking them; a bad one lands here.
      throw TfliteFile.invalid(sourceName, "an offset or length points outside the file ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
          + ")");
    }
  }

  private static Graph convert(TfliteFile file) {
    Graph g = new Graph();
    String description = file.model.description();
    g.setInfo(new ModelInfo(8, "tflite", "", "", 0,
        description == null ? "" : description));
    g.opsets().put("", OPSET);
    g.metadata().put(SOURCE_FORMAT, "tflite");
    g.metadata().put(SOURCE_LAYOUT, "NHWC");
    Emitter main = new Emitter(file, g, 0);
    SubGraph sg = main.sg;
    g.setName(sg.name() == null ? "" : sg.name());
    Map<Long, String> symbols = new HashMap<>();
    List<Value> inputs = new ArrayList<>();
    for (int i = 0; i < sg.inputsLength(); i++) {
      int t = main.checkIndex(sg.inputs(i));
      inputs.add(g.addInput(g.uniqueName(main.tensorName(t)),
          new ValueType.TensorType(main.dtype(t), main.declaredShape(t, symbols))));
    }
    List<Value> outputs = main.emit(inputs);
    for (int i = 0; i < outputs.size(); i++) {
      Value v = outputs.get(i);
      int t = sg.outputs(i);
      if (v.isGraphInput() || v.isInitializer() || v.isGraphOutput()) {
        v = main.node("Identity", List.of(v), Map.of(), main.tensorName(t));
      } else if (!v.name().equals(main.tensorName(t)) && !g.isNameTaken(main.tensorName(t))) {
        v.rename(main.tensorName(t));
      }
      v.setType(new ValueType.TensorType(main.dtype(t), main.declaredShape(t, symbols)));
      g.addOutput(v);
    }
    try {
      ShapeInference.infer(g);
    } catch (ShapeInferenceException e) {
      throw new InvalidModelException(file.src + ": the imported graph is inconsistent ("
          + e.getMessage() + ")", e);
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(file.src + ": " + e.getMessage());
    }
    return g;
  }
}

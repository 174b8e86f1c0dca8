package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.UnsafeByteOperations;
import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.TreeSet;

/**
 * The external data files an ONNX model names ({@code location} of every tensor whose data lives
 * outside the protobuf: initializers, sparse initializers, tensor attributes, in nested graphs
 * too), as written, relative to the model's folder. What a copy of the model elsewhere needs
 * beside it; the data itself is not read.
 */
public final class ExternalDataFiles {
  private ExternalDataFiles() {}

  /** The locations {@code model}'s external tensors name, sorted; none for a self-contained one. */
  public static Set<String> of(Path model) {
    try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
      if (ch.size() == 0 || ch.size() > Integer.MAX_VALUE) {
        return Set.of();
      }
      var m = OnnxImporter.parse(UnsafeByteOperations.unsafeWrap(
          ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size())), model.toString());
      Set<String> out = new TreeSet<>();
      graph(m.getGraph(), out);
      return out;
    } catch (IOException e) {
      throw new ConvoyException(model + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private static void graph(GraphProto g, Set<String> out) {
    g.getInitializerList().forEach(t -> tensor(t, out));
    for (SparseTensorProto s : g.getSparseInitializerList()) {
      tensor(s.getValues(), out);
      tensor(s.getIndices(), out);
    }
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        tensor(a.getT(), out);
        a.getTensorsList().forEach(t -> tensor(t, out));
        graph(a.getG(), out);
        a.getGraphsList().forEach(sub -> graph(sub, out));
      }
    }
  }

  private static void tensor(TensorProto t, Set<String> out) {
    if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
      return;
    }
    for (StringStringEntryProto e : t.getExternalDataList()) {
      if (e.getKey().equals("location") && !e.getValue().isEmpty()) {
        out.add(e.getValue());
      }
    }
  }
}

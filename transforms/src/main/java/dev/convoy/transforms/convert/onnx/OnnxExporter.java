package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes a Convoy {@link Graph} as an ONNX model: model info, opset imports, metadata, inputs,
 * outputs, initializers, value_info for every intermediate value whose type or doc string is
 * known, nodes and subgraphs. For IR versions below 4 the initializers are listed among the
 * graph inputs too, as those versions require. Node names are made unique across the model
 * ({@link #exportedNodeNames}), since ONNX Runtime refuses a model with two nodes of one name.
 * Ops of Convoy's own {@code convoy} domain are written as their standard expansion
 * ({@link ExpandConvoyOps}).
 *
 * <p>A protobuf message cannot exceed 2 GiB, so {@link #write} puts the weights of a larger model
 * in a sidecar file {@code NAME.onnx.data} beside it (ONNX external data, each tensor 64-byte
 * aligned) and writes them straight from their buffers without a heap copy.
 */
public final class OnnxExporter {
  /** Tensor bytes above which {@link #write} switches to external data (2 GiB less headroom). */
  static final long EXTERNAL_DATA_THRESHOLD = (2L << 30) - (64L << 20);
  /** Tensors smaller than this stay inline even when a model uses external data. */
  static final long MIN_EXTERNAL_TENSOR_BYTES = 1024;
  private static final int ALIGNMENT = 64;

  private OnnxExporter() {}

  /** How a tensor is put into a {@code TensorProto}: inline or as external data. */
  private interface TensorSink {
    TensorProto write(Tensor t, String name);
  }

  /** Where tensors go and the name each node is written under. */
  private record Out(TensorSink tensors, Map<Node, String> names) {}

  /** The model as ONNX bytes; throws when its tensors exceed what one protobuf can hold. */
  public static byte[] toBytes(Graph g) {
    long bytes = tensorBytes(g);
    if (bytes > EXTERNAL_DATA_THRESHOLD) {
      throw new ConvoyException(
          "graph '" + g.name() + "' holds " + bytes + " bytes of tensors, more than one ONNX"
              + " protobuf can hold; write it to a file (external data) instead");
    }
    return toProto(g, OnnxTensors::toProto).toByteArray();
  }

  /**
   * Writes the model to {@code file}; a model whose tensors exceed the protobuf limit gets its
   * weights in {@code file + ".data"}.
   */
  public static void write(Graph g, Path file) {
    write(g, file, EXTERNAL_DATA_THRESHOLD);
  }

  /** As {@link #write(Graph, Path)} with the switch to external data at {@code limit} bytes. */
  static void write(Graph g, Path file, long limit) {
    if (tensorBytes(g) > limit) {
      writeWithExternalData(g, file, MIN_EXTERNAL_TENSOR_BYTES);
      return;
    }
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      toProto(g, OnnxTensors::toProto).writeTo(out);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot write (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Writes the model to {@code file} with every non-string tensor of at least {@code
   * minTensorBytes} bytes in the sidecar {@code file + ".data"}.
   */
  public static void writeWithExternalData(Graph g, Path file, long minTensorBytes) {
    Path sidecar = file.resolveSibling(file.getFileName() + ".data");
    String location = sidecar.getFileName().toString();
    try (FileChannel data = FileChannel.open(sidecar, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      TensorSink sink = (t, name) -> {
        if (t.dtype() == DType.STRING || t.byteSize() < minTensorBytes) {
          return OnnxTensors.toProto(t, name);
        }
        try {
          long offset = (data.size() + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
          ByteBuffer bytes = t.data();
          long at = offset;
          while (bytes.hasRemaining()) {
            at += data.write(bytes, at);
          }
          return OnnxTensors.header(t, name)
              .setDataLocation(TensorProto.DataLocation.EXTERNAL)
              .addExternalData(entry("location", location))
              .addExternalData(entry("offset", Long.toString(offset)))
              .addExternalData(entry("length", Long.toString(t.byteSize())))
              .build();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
      ModelProto m = toProto(g, sink);
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        m.writeTo(out);
      }
    } catch (IOException | UncheckedIOException e) {
      throw new ConvoyException(file + ": cannot write (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The name each node of {@code g}'s tree gets in the exported model (ONNX Runtime refuses two
   * nodes of one name): the first node of a name, in depth-first order, keeps it; later ones get
   * {@code name_K} with the smallest K free in the whole tree. Unnamed nodes stay unnamed. This is
   * the map from Convoy's nodes to the exported names that verification uses.
   */
  public static Map<Node, String> exportedNodeNames(Graph g) {
    Set<String> taken = new HashSet<>();
    g.forEachNode(n -> taken.add(n.name()));
    Set<String> given = new HashSet<>();
    Map<Node, String> names = new IdentityHashMap<>();
    g.forEachNode(n -> {
      String name = n.name();
      if (!name.isEmpty() && !given.add(name)) {
        int k = 1;
        while (taken.contains(name + "_" + k)) {
          k++;
        }
        name = name + "_" + k;
        taken.add(name);
        given.add(name);
      }
      names.put(n, name);
    });
    return names;
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /** Whether {@link #toBytes} can hold {@code g}: its tensors fit in one ONNX protobuf. */
  public static boolean fitsInOneProto(Graph g) {
    return tensorBytes(g) <= EXTERNAL_DATA_THRESHOLD;
  }

  /** Bytes of tensor data in initializers and tensor attributes of the whole tree. */
  static long tensorBytes(Graph g) {
    long[] sum = {0};
    for (Value v : g.initializers()) {
      sum[0] += v.constant().byteSize();
    }
    g.forEachNode(n -> {
      for (Attribute a : n.attributes().values()) {
        if (a instanceof Attribute.TensorAttr t) {
          sum[0] += t.value().byteSize();
        } else if (a instanceof Attribute.TensorsAttr ts) {
          ts.values().forEach(t -> sum[0] += t.byteSize());
        }
      }
      for (Graph sub : n.subgraphs()) {
        for (Value v : sub.initializers()) {
          sum[0] += v.constant().byteSize();
        }
      }
    });
    return sum[0];
  }

  private static ModelProto toProto(Graph source, TensorSink tensors) {
    // Convoy's own fused ops exist only in .cvy: ONNX gets their standard expansion.
    Graph g = ExpandConvoyOps.expanded(source);
    ModelInfo info = g.info();
    ModelProto.Builder mb = ModelProto.newBuilder()
        .setIrVersion(info.irVersion())
        .setProducerName(info.producerName())
        .setProducerVersion(info.producerVersion())
        .setDomain(info.domain())
        .setModelVersion(info.modelVersion());
    if (!info.docString().isEmpty()) {
      mb.setDocString(info.docString());
    }
    for (Map.Entry<String, Long> e : g.opsets().entrySet()) {
      mb.addOpsetImport(
          OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
    }
    g.metadata().forEach((k, v) -> mb.addMetadataProps(entry(k, v)));
    mb.setGraph(graph(g, new Out(tensors, exportedNodeNames(g)), info.irVersion() < 4));
    return mb.build();
  }

  private static GraphProto graph(Graph g, Out out, boolean initializersAsInputs) {
    GraphProto.Builder gb = GraphProto.newBuilder().setName(g.name());
    if (!g.docString().isEmpty()) {
      gb.setDocString(g.docString());
    }
    for (Value v : g.inputs()) {
      gb.addInput(valueInfo(v));
    }
    for (Value v : g.initializers()) {
      if (initializersAsInputs) {
        gb.addInput(valueInfo(v));
      }
      TensorProto t = out.tensors().write(v.constant(), v.name());
      gb.addInitializer(v.docString().isEmpty() ? t : t.toBuilder().setDocString(v.docString()).build());
    }
    for (Node n : g.nodes()) {
      gb.addNode(node(n, out));
      for (Value v : n.outputs()) {
        if (v != null && !v.isGraphOutput()
            && (v.type() != null || !v.docString().isEmpty())) {
          gb.addValueInfo(valueInfo(v));
        }
      }
    }
    for (Value v : g.outputs()) {
      gb.addOutput(valueInfo(v));
    }
    return gb.build();
  }

  private static ValueInfoProto valueInfo(Value v) {
    ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(v.name());
    if (v.type() != null) {
      b.setType(OnnxTypes.toProto(v.type()));
    }
    if (!v.docString().isEmpty()) {
      b.setDocString(v.docString());
    }
    return b.build();
  }

  private static NodeProto node(Node n, Out out) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.opType());
    String name = out.names().get(n);
    if (!name.isEmpty()) {
      b.setName(name);
    }
    if (!n.domain().isEmpty()) {
      b.setDomain(n.domain());
    }
    for (Value v : n.inputs()) {
      b.addInput(v == null ? "" : v.name());
    }
    for (Value v : n.outputs()) {
      b.addOutput(v == null ? "" : v.name());
    }
    for (Map.Entry<String, Attribute> e : n.attributes().entrySet()) {
      b.addAttribute(attribute(e.getKey(), e.getValue(), out));
    }
    if (!n.docString().isEmpty()) {
      b.setDocString(n.docString());
    }
    return b.build();
  }

  private static AttributeProto attribute(String name, Attribute a, Out out) {
    TensorSink tensors = out.tensors();
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
    if (a instanceof Attribute.FloatAttr f) {
      b.setType(AttributeType.FLOAT).setF(f.value());
    } else if (a instanceof Attribute.IntAttr i) {
      b.setType(AttributeType.INT).setI(i.value());
    } else if (a instanceof Attribute.StringAttr s) {
      b.setType(AttributeType.STRING).setS(ByteString.copyFrom(s.value()));
    } else if (a instanceof Attribute.TensorAttr t) {
      b.setType(AttributeType.TENSOR).setT(tensors.write(t.value(), ""));
    } else if (a instanceof Attribute.GraphAttr g) {
      b.setType(AttributeType.GRAPH).setG(graph(g.value(), out, false));
    } else if (a instanceof Attribute.SparseTensorAttr s) {
      b.setType(AttributeType.SPARSE_TENSOR).setSparseTensor(OnnxTensors.sparseToProto(s));
    } else if (a instanceof Attribute.TypeAttr t) {
      b.setType(AttributeType.TYPE_PROTO).setTp(OnnxTypes.toProto(t.value()));
    } else if (a instanceof Attribute.FloatsAttr f) {
      b.setType(AttributeType.FLOATS);
      for (float v : f.values()) {
        b.addFloats(v);
      }
    } else if (a instanceof Attribute.IntsAttr i) {
      b.setType(AttributeType.INTS);
      for (long v : i.values()) {
        b.addInts(v);
      }
    } else if (a instanceof Attribute.StringsAttr s) {
      b.setType(AttributeType.STRINGS);
      s.values().forEach(v -> b.addStrings(ByteString.copyFrom(v)));
    } else if (a instanceof Attribute.TensorsAttr ts) {
      b.setType(AttributeType.TENSORS);
      ts.values().forEach(t -> b.addTensors(tensors.write(t, "")));
    } else if (a instanceof Attribute.GraphsAttr gs) {
      b.setType(AttributeType.GRAPHS);
      gs.values().forEach(g -> b.addGraphs(graph(g, out, false)));
    } else if (a instanceof Attribute.SparseTensorsAttr ss) {
      b.setType(AttributeType.SPARSE_TENSORS);
      ss.values().forEach(s -> b.addSparseTensors(OnnxTensors.sparseToProto(s)));
    } else if (a instanceof Attribute.TypesAttr ts) {
      b.setType(AttributeType.TYPE_PROTOS);
      ts.values().forEach(t -> b.addTypeProtos(OnnxTypes.toProto(t)));
    }
    return b.build();
  }
}

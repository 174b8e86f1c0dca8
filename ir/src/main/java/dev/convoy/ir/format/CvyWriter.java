package dev.convoy.ir.format;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.format.proto.Floats;
import dev.convoy.ir.format.proto.Graphs;
import dev.convoy.ir.format.proto.Initializer;
import dev.convoy.ir.format.proto.Ints;
import dev.convoy.ir.format.proto.MapType;
import dev.convoy.ir.format.proto.Model;
import dev.convoy.ir.format.proto.OpsetImport;
import dev.convoy.ir.format.proto.Ref;
import dev.convoy.ir.format.proto.SparseTensor;
import dev.convoy.ir.format.proto.SparseTensors;
import dev.convoy.ir.format.proto.StringEntry;
import dev.convoy.ir.format.proto.Strings;
import dev.convoy.ir.format.proto.TensorType;
import dev.convoy.ir.format.proto.Tensors;
import dev.convoy.ir.format.proto.Type;
import dev.convoy.ir.format.proto.Types;
import dev.convoy.ir.format.proto.ValueDecl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link Graph} as a {@code .cvy} file (layout in {@link CvyFormat}). Equal graphs give
 * identical bytes, since artifacts are named by the hash of their content: fields are written in
 * a fixed order, tensors are laid out in graph order, and tensors with equal content are stored
 * once. The file is written beside its destination and moved into place, so a reader never sees
 * half a file (and a process that has the old file mapped keeps its mapping).
 */
public final class CvyWriter {
  private final List<Tensor> blobTensors = new ArrayList<>();
  private final List<Long> blobOffsets = new ArrayList<>();
  private final Map<Tensor, Long> offsetByContent = new HashMap<>();
  private long blobSize;

  private CvyWriter() {}

  /** Writes {@code graph} (a top-level graph) to {@code path}, replacing any file there. */
  public static void write(Graph graph, Path path) {
    if (!graph.isTopLevel()) {
      throw new IllegalArgumentException("write a top-level graph, not subgraph " + graph.name());
    }
    var w = new CvyWriter();
    Model model = Model.newBuilder().setInfo(info(graph.info())).setGraph(w.graph(graph)).build();
    byte[] header = serialize(model);
    Path dir = path.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer preamble = ByteBuffer.allocate(CvyFormat.PREAMBLE_BYTES)
            .order(ByteOrder.LITTLE_ENDIAN);
        preamble.put(CvyFormat.MAGIC).putInt(CvyFormat.VERSION).putInt(0)
            .putLong(header.length).putLong(w.blobSize).flip();
        writeFully(ch, preamble);
        writeFully(ch, ByteBuffer.wrap(header));
        long blobStart = CvyFormat.align(CvyFormat.PREAMBLE_BYTES + (long) header.length);
        for (int i = 0; i < w.blobTensors.size(); i++) {
          padTo(ch, blobStart + w.blobOffsets.get(i));
          writeFully(ch, w.blobTensors.get(i).data());
        }
        padTo(ch, blobStart + w.blobSize);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new ConvoyException("cannot write " + path + ": " + e, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the move succeeded or the write already failed; nothing more to do
        }
      }
    }
  }

  private static byte[] serialize(Model model) {
    int size = model.getSerializedSize();
    if (size < 0) {
      throw new ConvoyException("graph structure exceeds the 2 GiB .cvy header limit");
    }
    byte[] out = new byte[size];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    cos.useDeterministicSerialization();
    try {
      model.writeTo(cos);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("serializing into an exactly sized array", e);
    }
    return out;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static void padTo(FileChannel ch, long position) throws IOException {
    long gap = position - ch.position();
    if (gap > 0) {
      writeFully(ch, ByteBuffer.allocate((int) gap));
    }
  }

  // ---- IR to proto ----

  private static dev.convoy.ir.format.proto.ModelInfo info(ModelInfo m) {
    return dev.convoy.ir.format.proto.ModelInfo.newBuilder()
        .setIrVersion(m.irVersion())
        .setProducerName(m.producerName())
        .setProducerVersion(m.producerVersion())
        .setDomain(m.domain())
        .setModelVersion(m.modelVersion())
        .setDocString(m.docString())
        .build();
  }

  private dev.convoy.ir.format.proto.Graph graph(Graph g) {
    var b = dev.convoy.ir.format.proto.Graph.newBuilder()
        .setName(g.name())
        .setDocString(g.docString());
    g.opsets().forEach((d, v) -> b.addOpsets(OpsetImport.newBuilder().setDomain(d).setVersion(v)));
    g.metadata().forEach((k, v) -> b.addMetadata(StringEntry.newBuilder().setKey(k).setValue(v)));
    for (Value v : g.inputs()) {
      b.addInputs(decl(v, true));
    }
    for (Value v : g.initializers()) {
      boolean differs = !v.constant().type().equals(v.type());
      b.addInitializers(Initializer.newBuilder()
          .setValue(decl(v, differs))
          .setTensor(tensor(v.constant()))
          .setTypeDiffers(differs));
    }
    for (Node n : g.nodes()) {
      var nb = dev.convoy.ir.format.proto.Node.newBuilder()
          .setDomain(n.domain())
          .setOpType(n.opType())
          .setName(n.name())
          .setDocString(n.docString());
      for (Value in : n.inputs()) {
        nb.addInputs(ref(in));
      }
      for (Value out : n.outputs()) {
        nb.addOutputs(out == null ? ValueDecl.getDefaultInstance() : decl(out, true));
      }
      n.attributes().forEach((name, a) -> nb.addAttributes(attribute(name, a)));
      b.addNodes(nb);
    }
    for (Value out : g.outputs()) {
      b.addOutputs(ref(out));
    }
    return b.build();
  }

  private static Ref ref(Value v) {
    return v == null ? Ref.getDefaultInstance() : Ref.newBuilder().setName(v.name()).build();
  }

  private static ValueDecl decl(Value v, boolean withType) {
    var b = ValueDecl.newBuilder().setName(v.name()).setDocString(v.docString());
    if (withType && v.type() != null) {
      b.setType(type(v.type()));
    }
    return b.build();
  }

  static Type type(ValueType t) {
    var b = Type.newBuilder();
    if (t instanceof ValueType.TensorType tt) {
      var tb = TensorType.newBuilder().setDtype(tt.dtype().onnxCode());
      if (!tt.shape().hasRank()) {
        tb.setUnknownRank(true);
      } else {
        for (Dim d : tt.shape().dims()) {
          var db = dev.convoy.ir.format.proto.Dim.newBuilder();
          if (d instanceof Dim.Static s) {
            db.setSize(s.size());
          } else if (d instanceof Dim.Symbolic s) {
            db.setSymbol(s.name());
          } else {
            db.setUnknown(true);
          }
          tb.addDims(db);
        }
      }
      b.setTensor(tb);
    } else if (t instanceof ValueType.SequenceType s) {
      b.setSequenceOf(type(s.elementType()));
    } else if (t instanceof ValueType.OptionalType o) {
      b.setOptionalOf(type(o.elementType()));
    } else if (t instanceof ValueType.MapType m) {
      b.setMap(MapType.newBuilder().setKeyDtype(m.keyType().onnxCode())
          .setValue(type(m.valueType())));
    }
    return b.build();
  }

  /** A tensor's metadata; its data is placed in the blob (once per distinct content). */
  private dev.convoy.ir.format.proto.Tensor tensor(Tensor t) {
    var b = dev.convoy.ir.format.proto.Tensor.newBuilder().setDtype(t.dtype().onnxCode());
    for (long d : t.dims()) {
      b.addDims(d);
    }
    if (t.dtype() == DType.STRING) {
      for (byte[] s : t.strings()) {
        b.addStrings(ByteString.copyFrom(s));
      }
      return b.build();
    }
    byte[] splat = CvyFormat.splatElement(t);
    if (splat != null) {
      return b.setSplat(ByteString.copyFrom(splat)).build();
    }
    long length = t.byteSize();
    Long offset = offsetByContent.get(t);
    if (offset == null) {
      offset = CvyFormat.align(blobSize);
      blobSize = offset + length;
      offsetByContent.put(t, offset);
      blobTensors.add(t);
      blobOffsets.add(offset);
    }
    return b.setOffset(offset).setLength(length).build();
  }

  private dev.convoy.ir.format.proto.Attribute attribute(String name, Attribute a) {
    var b = dev.convoy.ir.format.proto.Attribute.newBuilder().setName(name);
    if (a instanceof Attribute.FloatAttr f) {
      b.setF(Float.floatToRawIntBits(f.value()));
    } else if (a instanceof Attribute.IntAttr i) {
      b.setI(i.value());
    } else if (a instanceof Attribute.StringAttr s) {
      b.setS(ByteString.copyFrom(s.value()));
    } else if (a instanceof Attribute.TensorAttr t) {
      b.setT(tensor(t.value()));
    } else if (a instanceof Attribute.GraphAttr g) {
      b.setG(graph(g.value()));
    } else if (a instanceof Attribute.SparseTensorAttr s) {
      b.setSparseTensor(sparse(s));
    } else if (a instanceof Attribute.TypeAttr t) {
      b.setTp(type(t.value()));
    } else if (a instanceof Attribute.FloatsAttr fs) {
      var fb = Floats.newBuilder();
      for (float f : fs.values()) {
        fb.addBits(Float.floatToRawIntBits(f));
      }
      b.setFloats(fb);
    } else if (a instanceof Attribute.IntsAttr is) {
      var ib = Ints.newBuilder();
      for (long v : is.values()) {
        ib.addValues(v);
      }
      b.setInts(ib);
    } else if (a instanceof Attribute.StringsAttr ss) {
      var sb = Strings.newBuilder();
      for (byte[] s : ss.values()) {
        sb.addValues(ByteString.copyFrom(s));
      }
      b.setStrings(sb);
    } else if (a instanceof Attribute.TensorsAttr ts) {
      var tb = Tensors.newBuilder();
      for (Tensor t : ts.values()) {
        tb.addValues(tensor(t));
      }
      b.setTensors(tb);
    } else if (a instanceof Attribute.GraphsAttr gs) {
      var gb = Graphs.newBuilder();
      for (Graph g : gs.values()) {
        gb.addValues(graph(g));
      }
      b.setGraphs(gb);
    } else if (a instanceof Attribute.SparseTensorsAttr ss) {
      var sb = SparseTensors.newBuilder();
      for (Attribute.SparseTensorAttr s : ss.values()) {
        sb.addValues(sparse(s));
      }
      b.setSparseTensors(sb);
    } else if (a instanceof Attribute.TypesAttr ts) {
      var tb = Types.newBuilder();
      for (ValueType t : ts.values()) {
        tb.addValues(type(t));
      }
      b.setTypes(tb);
    }
    return b.build();
  }

  private SparseTensor sparse(Attribute.SparseTensorAttr s) {
    var b = SparseTensor.newBuilder().setValues(tensor(s.values())).setIndices(tensor(s.indices()));
    for (long d : s.dims()) {
      b.addDims(d);
    }
    return b.build();
  }
}

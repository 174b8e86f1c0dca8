package dev.convoy.ir.format;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.format.proto.Initializer;
import dev.convoy.ir.format.proto.Model;
import dev.convoy.ir.format.proto.OpsetImport;
import dev.convoy.ir.format.proto.Ref;
import dev.convoy.ir.format.proto.SparseTensor;
import dev.convoy.ir.format.proto.StringEntry;
import dev.convoy.ir.format.proto.Type;
import dev.convoy.ir.format.proto.ValueDecl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code .cvy} file into a {@link Graph}. Tensor data is not copied: the blob is memory
 * mapped in windows of up to 1 GiB (a mapped buffer cannot exceed 2 GiB, the blob can), and each
 * tensor wraps a read-only slice of its window, or its own mapping when it straddles two windows.
 * Every structural fact is checked before use, so a damaged or foreign file fails with an {@link
 * InvalidModelException} naming the file and what is wrong, never with an index error.
 */
public final class CvyReader {
  private static final long DEFAULT_WINDOW = 1L << 30;
  private static final int HEADER_RECURSION_LIMIT = 1000;

  private final Path path;
  private final FileChannel channel;
  private final long blobStart;
  private final long blobLength;
  private final long window;
  private final Map<Long, MappedByteBuffer> windows = new HashMap<>();
  private final List<PendingRef> pending = new ArrayList<>();

  /** Values of one graph by name, with the enclosing graph's scope as parent. */
  private record Scope(Graph graph, Scope parent, Map<String, Value> values) {
    Value lookup(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        Value v = s.values.get(name);
        if (v != null) {
          return v;
        }
      }
      return null;
    }
  }

  /** A node input or graph output naming a value not (yet) defined where it is read. */
  private record PendingRef(Scope scope, Node node, int index, String name) {}

  private CvyReader(Path path, FileChannel channel, long blobStart, long blobLength,
      long window) {
    this.path = path;
    this.channel = channel;
    this.blobStart = blobStart;
    this.blobLength = blobLength;
    this.window = window;
  }

  /** Reads the .cvy file at {@code path}; its weights stay memory-mapped. */
  public static Graph read(Path path) {
    return read(path, DEFAULT_WINDOW);
  }

  /** As {@link #read(Path)}, mapping the blob in windows of {@code window} bytes (for tests). */
  static Graph read(Path path, long window) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < CvyFormat.PREAMBLE_BYTES) {
        throw invalid(path, size == 0 ? "empty file, not a .cvy model"
            : "only " + size + " bytes, too short for a .cvy model");
      }
      ByteBuffer pre = ByteBuffer.allocate(CvyFormat.PREAMBLE_BYTES)
          .order(ByteOrder.LITTLE_ENDIAN);
      while (pre.hasRemaining() && ch.read(pre, pre.position()) >= 0) {
        // read until full; size was checked above
      }
      pre.flip();
      byte[] magic = new byte[CvyFormat.MAGIC.length];
      pre.get(magic);
      if (!Arrays.equals(magic, CvyFormat.MAGIC)) {
        throw invalid(path, "not a .cvy model (wrong magic bytes)");
      }
      int version = pre.getInt();
      if (version != CvyFormat.VERSION) {
        throw invalid(path, "unsupported .cvy format version " + Integer.toUnsignedString(version)
            + " (this Convoy reads version " + CvyFormat.VERSION + ")");
      }
      pre.getInt();
      long headerLength = pre.getLong();
      long blobLength = pre.getLong();
      if (headerLength < 0 || headerLength > Integer.MAX_VALUE || blobLength < 0) {
        throw invalid(path, "corrupt preamble (header length " + headerLength
            + ", blob length " + blobLength + ")");
      }
      long blobStart = CvyFormat.align(CvyFormat.PREAMBLE_BYTES + headerLength);
      long expected = blobStart + blobLength;
      if (expected < 0 || size < expected) {
        throw invalid(path, "truncated: the preamble announces " + expected
            + " bytes but the file has " + size);
      }
      if (size > expected) {
        throw invalid(path, (size - expected) + " unexpected bytes after the weight blob");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      while (header.hasRemaining()
          && ch.read(header, CvyFormat.PREAMBLE_BYTES + header.position()) >= 0) {
        // read the whole header; the length was checked against the file size
      }
      header.flip();
      Model model;
      try {
        CodedInputStream in = CodedInputStream.newInstance(header);
        in.setRecursionLimit(HEADER_RECURSION_LIMIT);
        model = Model.parseFrom(in);
      } catch (InvalidProtocolBufferException e) {
        throw invalid(path, "corrupt header: " + e.getMessage());
      }
      var reader = new CvyReader(path, ch, blobStart, blobLength, window);
      return reader.model(model);
    } catch (NoSuchFileException e) {
      throw new ConvoyException(path + ": no such file");
    } catch (IOException e) {
      throw new ConvoyException(path + ": cannot read: " + e, e);
    }
  }

  private static InvalidModelException invalid(Path path, String message) {
    return new InvalidModelException(path + ": " + message);
  }

  private InvalidModelException invalid(String message) {
    return invalid(path, message);
  }

  // ---- proto to IR ----

  private Graph model(Model m) throws IOException {
    Graph g = new Graph();
    var i = m.getInfo();
    g.setInfo(new ModelInfo(i.getIrVersion(), i.getProducerName(), i.getProducerVersion(),
        i.getDomain(), i.getModelVersion(), i.getDocString()));
    graph(m.getGraph(), g, new Scope(g, null, new HashMap<>()));
    for (PendingRef r : pending) {
      Value v = r.scope().lookup(r.name());
      if (v == null) {
        throw invalid((r.node() == null ? "graph output " : r.node() + " input ") + r.index()
            + " names %" + r.name() + ", which is not defined");
      }
      if (r.node() != null) {
        r.node().setInput(r.index(), v);
      } else {
        r.scope().graph().setOutput(r.index(), v);
      }
    }
    return g;
  }

  private void graph(dev.convoy.ir.format.proto.Graph p, Graph g, Scope scope)
      throws IOException {
    g.setName(p.getName());
    g.setDocString(p.getDocString());
    for (OpsetImport o : p.getOpsetsList()) {
      g.opsets().put(o.getDomain(), o.getVersion());
    }
    for (StringEntry e : p.getMetadataList()) {
      g.metadata().put(e.getKey(), e.getValue());
    }
    for (ValueDecl d : p.getInputsList()) {
      Value v = g.addInput(name(d, "graph input"), type(d));
      v.setDocString(d.getDocString());
      define(scope, v);
    }
    for (Initializer init : p.getInitializersList()) {
      String name = name(init.getValue(), "initializer");
      if (scope.values().containsKey(name)) {
        throw invalid("value %" + name + " is defined twice in graph '" + g.name() + "'");
      }
      Value v = g.addInitializer(name, tensor(init.getTensor(), "initializer %" + name));
      if (init.getTypeDiffers()) {
        v.setType(type(init.getValue()));
      }
      v.setDocString(init.getValue().getDocString());
      define(scope, v);
    }
    for (dev.convoy.ir.format.proto.Node pn : p.getNodesList()) {
      node(pn, g, scope);
    }
    for (Ref r : p.getOutputsList()) {
      g.addOutput(null);
      if (r.hasName()) {
        pending.add(new PendingRef(scope, null, g.outputs().size() - 1, r.getName()));
      }
    }
  }

  private void node(dev.convoy.ir.format.proto.Node pn, Graph g, Scope scope) throws IOException {
    String where = "node '" + pn.getName() + "' (" + pn.getOpType() + ")";
    Map<String, Attribute> attrs = new TreeMap<>();
    for (var pa : pn.getAttributesList()) {
      if (attrs.put(pa.getName(), attribute(pa, g, scope, where)) != null) {
        throw invalid(where + ": attribute " + pa.getName() + " given twice");
      }
    }
    List<String> outNames = new ArrayList<>();
    for (ValueDecl d : pn.getOutputsList()) {
      outNames.add(d.hasName() ? d.getName() : null);
    }
    Node n = g.addNode(pn.getDomain(), pn.getOpType(),
        Arrays.asList(new Value[pn.getInputsCount()]), outNames, attrs);
    n.setName(pn.getName());
    n.setDocString(pn.getDocString());
    for (int k = 0; k < pn.getOutputsCount(); k++) {
      ValueDecl d = pn.getOutputs(k);
      if (d.hasName()) {
        Value v = n.output(k);
        v.setType(type(d));
        v.setDocString(d.getDocString());
        define(scope, v);
      }
    }
    for (int k = 0; k < pn.getInputsCount(); k++) {
      Ref r = pn.getInputs(k);
      if (!r.hasName()) {
        continue;
      }
      Value v = scope.lookup(r.getName());
      if (v != null) {
        n.setInput(k, v);
      } else {
        pending.add(new PendingRef(scope, n, k, r.getName()));
      }
    }
  }

  private void define(Scope scope, Value v) {
    if (scope.values().putIfAbsent(v.name(), v) != null) {
      throw invalid("value %" + v.name() + " is defined twice in graph '"
          + scope.graph().name() + "'");
    }
  }

  private String name(ValueDecl d, String what) {
    if (!d.hasName()) {
      throw invalid("a " + what + " has no name");
    }
    return d.getName();
  }

  private ValueType type(ValueDecl d) {
    return d.hasType() ? type(d.getType()) : null;
  }

  private ValueType type(Type t) {
    return switch (t.getKindCase()) {
      case TENSOR -> {
        var tt = t.getTensor();
        Shape shape;
        if (tt.getUnknownRank()) {
          shape = Shape.unknownRank();
        } else {
          List<Dim> dims = new ArrayList<>(tt.getDimsCount());
          for (var d : tt.getDimsList()) {
            dims.add(switch (d.getKindCase()) {
              case SIZE -> {
                if (d.getSize() < 0) {
                  throw invalid("negative dimension " + d.getSize() + " in a type");
                }
                yield Dim.of(d.getSize());
              }
              case SYMBOL -> Dim.of(d.getSymbol());
              default -> Dim.UNKNOWN;
            });
          }
          shape = Shape.of(dims);
        }
        yield new ValueType.TensorType(dtype(tt.getDtype()), shape);
      }
      case SEQUENCE_OF -> new ValueType.SequenceType(type(t.getSequenceOf()));
      case OPTIONAL_OF -> new ValueType.OptionalType(type(t.getOptionalOf()));
      case MAP -> new ValueType.MapType(dtype(t.getMap().getKeyDtype()),
          type(t.getMap().getValue()));
      case KIND_NOT_SET -> null;
    };
  }

  private DType dtype(int code) {
    try {
      return DType.fromOnnx(code);
    } catch (ConvoyException e) {
      throw invalid("unknown element type code " + code);
    }
  }

  private Tensor tensor(dev.convoy.ir.format.proto.Tensor p, String what) throws IOException {
    DType dt = dtype(p.getDtype());
    long[] dims = p.getDimsList().stream().mapToLong(Long::longValue).toArray();
    try {
      if (dt == DType.STRING) {
        byte[][] strings = new byte[p.getStringsCount()][];
        for (int i = 0; i < strings.length; i++) {
          strings[i] = p.getStrings(i).toByteArray();
        }
        return Tensor.ofStrings(dims, strings);
      }
      if (!p.getSplat().isEmpty()) {
        return splat(dt, dims, p.getSplat().toByteArray(), what);
      }
      return Tensor.of(dt, dims, slice(p.getOffset(), p.getLength(), what));
    } catch (InvalidModelException e) {
      if (e.getMessage().startsWith(path + ": ")) {
        throw e;
      }
      throw invalid(what + ": " + e.getMessage());
    }
  }

  /** A uniform tensor rebuilt on the heap from its one stored element. */
  private Tensor splat(DType dt, long[] dims, byte[] element, String what) {
    if (element.length != dt.byteSize()) {
      throw invalid(what + ": uniform element of " + element.length + " bytes for type "
          + dt.textName());
    }
    long bytes = Math.multiplyExact(Tensor.numElements(dims), (long) element.length);
    if (bytes > Integer.MAX_VALUE) {
      throw invalid(what + ": uniform tensor of " + bytes + " bytes exceeds the 2 GiB heap buffer limit");
    }
    byte[] data = new byte[(int) bytes];
    for (int i = 0; i < data.length; i += element.length) {
      System.arraycopy(element, 0, data, i, element.length);
    }
    return Tensor.ofBytes(dt, dims, data);
  }

  /** The blob bytes {@code [offset, offset + length)}, mapped, not copied. */
  private ByteBuffer slice(long offset, long length, String what) throws IOException {
    if (offset < 0 || length < 0 || offset > blobLength || length > blobLength - offset) {
      throw invalid(what + ": data at offset " + Long.toUnsignedString(offset) + " length "
          + Long.toUnsignedString(length) + " lies outside the weight blob of " + blobLength
          + " bytes");
    }
    if (offset % CvyFormat.ALIGNMENT != 0) {
      throw invalid(what + ": data offset " + offset + " is not " + CvyFormat.ALIGNMENT
          + "-byte aligned");
    }
    if (length > Integer.MAX_VALUE) {
      throw invalid(what + ": " + length + " bytes exceed the 2 GiB limit of one tensor");
    }
    if (length == 0) {
      return ByteBuffer.allocate(0);
    }
    long w = offset / window;
    if (offset + length <= (w + 1) * window) {
      MappedByteBuffer mapped = windows.get(w);
      if (mapped == null) {
        long start = w * window;
        mapped = channel.map(FileChannel.MapMode.READ_ONLY, blobStart + start,
            Math.min(window, blobLength - start));
        windows.put(w, mapped);
      }
      return mapped.slice((int) (offset - w * window), (int) length);
    }
    return channel.map(FileChannel.MapMode.READ_ONLY, blobStart + offset, length);
  }

  private Attribute attribute(dev.convoy.ir.format.proto.Attribute a, Graph g, Scope scope,
      String where) throws IOException {
    String what = where + " attribute " + a.getName();
    return switch (a.getValueCase()) {
      case F -> new Attribute.FloatAttr(Float.intBitsToFloat(a.getF()));
      case I -> new Attribute.IntAttr(a.getI());
      case S -> new Attribute.StringAttr(a.getS().toByteArray());
      case T -> new Attribute.TensorAttr(tensor(a.getT(), what));
      case G -> new Attribute.GraphAttr(subgraph(a.getG(), g, scope));
      case SPARSE_TENSOR -> sparse(a.getSparseTensor(), what);
      case TP -> new Attribute.TypeAttr(type(a.getTp()));
      case FLOATS -> {
        float[] f = new float[a.getFloats().getBitsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = Float.intBitsToFloat(a.getFloats().getBits(i));
        }
        yield new Attribute.FloatsAttr(f);
      }
      case INTS -> new Attribute.IntsAttr(
          a.getInts().getValuesList().stream().mapToLong(Long::longValue).toArray());
      case STRINGS -> new Attribute.StringsAttr(
          a.getStrings().getValuesList().stream().map(ByteString::toByteArray).toList());
      case TENSORS -> {
        List<Tensor> ts = new ArrayList<>();
        for (var t : a.getTensors().getValuesList()) {
          ts.add(tensor(t, what));
        }
        yield new Attribute.TensorsAttr(ts);
      }
      case GRAPHS -> {
        List<Graph> gs = new ArrayList<>();
        for (var sub : a.getGraphs().getValuesList()) {
          gs.add(subgraph(sub, g, scope));
        }
        yield new Attribute.GraphsAttr(gs);
      }
      case SPARSE_TENSORS -> {
        List<Attribute.SparseTensorAttr> ss = new ArrayList<>();
        for (var s : a.getSparseTensors().getValuesList()) {
          ss.add(sparse(s, what));
        }
        yield new Attribute.SparseTensorsAttr(ss);
      }
      case TYPES -> {
        List<ValueType> ts = new ArrayList<>();
        for (var t : a.getTypes().getValuesList()) {
          ValueType vt = type(t);
          if (vt == null) {
            throw invalid(what + ": a types list holds an unknown type");
          }
          ts.add(vt);
        }
        yield new Attribute.TypesAttr(ts);
      }
      case VALUE_NOT_SET -> throw invalid(what + " has no value");
    };
  }

  private Attribute.SparseTensorAttr sparse(SparseTensor s, String what) throws IOException {
    return new Attribute.SparseTensorAttr(tensor(s.getValues(), what + " values"),
        tensor(s.getIndices(), what + " indices"),
        s.getDimsList().stream().mapToLong(Long::longValue).toArray());
  }

  private Graph subgraph(dev.convoy.ir.format.proto.Graph p, Graph parent, Scope scope)
      throws IOException {
    Graph sub = parent.newSubgraph(p.getName());
    graph(p, sub, new Scope(sub, scope, new HashMap<>()));
    return sub;
  }
}

package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads ONNX models ({@code .onnx}, IR version 3 or later, default-domain opset 7 or later) into
 * Convoy's graph IR: model info, opset imports, metadata, inputs, outputs, initializers (typed,
 * raw, sparse and external), value_info types, nodes with every attribute kind and nested graphs.
 * Model-local functions are inlined.
 *
 * <p>Weights are not copied: a model file is memory-mapped and parsed with protobuf aliasing, so
 * {@code raw_data} tensors are slices of the mapping, and external data is mapped from its file.
 * Every problem with the file is a {@link dev.convoy.ir.ConvoyException} whose message starts with
 * the file name; a malformed file never surfaces as a bare protobuf or runtime exception.
 */
public final class OnnxImporter {
  /** The oldest IR version and default-domain opset read. */
  public static final long MIN_IR_VERSION = 3;
  public static final long MIN_OPSET = 7;

  private OnnxImporter() {}

  /** Imports the model in {@code file}; external data is resolved in the file's folder. */
  public static Graph importFile(Path file) {
    String src = file.toString();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new InvalidModelException(src + ": not a valid ONNX model (empty file)");
      }
      if (size > Integer.MAX_VALUE) {
        throw new InvalidModelException(
            src + ": not a valid ONNX model (" + size + " bytes; a protobuf file is at most 2 GiB,"
                + " larger models keep weights in external data)");
      }
      ByteString mapped = UnsafeByteOperations.unsafeWrap(
          ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
      return convert(parse(mapped, src), src, file.toAbsolutePath().getParent());
    } catch (NoSuchFileException e) {
      throw new ConvoyException(src + ": no such file");
    } catch (IOException e) {
      throw new ConvoyException(src + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Imports a model held in memory. {@code sourceName} names it in errors; {@code baseDir} is
   * where its external data lives ({@code null} when it has none). The array is aliased by the
   * imported tensors, so the caller must not change it afterwards.
   */
  public static Graph importBytes(byte[] bytes, String sourceName, Path baseDir) {
    if (bytes.length == 0) {
      throw new InvalidModelException(sourceName + ": not a valid ONNX model (empty file)");
    }
    return convert(parse(UnsafeByteOperations.unsafeWrap(bytes), sourceName), sourceName, baseDir);
  }

  static ModelProto parse(ByteString bytes, String src) {
    try {
      // An immutable ByteString's stream aliases bytes fields instead of copying them.
      CodedInputStream in = bytes.newCodedInput();
      in.enableAliasing(true);
      in.setSizeLimit(Integer.MAX_VALUE);
      ModelProto m = ModelProto.parseFrom(in);
      if (!in.isAtEnd()) {
        throw new InvalidModelException(src + ": not a valid ONNX model (bytes left over after the protobuf message ends)");
      }
      return m;
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidModelException(src + ": not a valid ONNX model (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new InvalidModelException(src + ": not a valid ONNX model (" + e.getMessage() + ")", e);
    }
  }

  private static Graph convert(ModelProto m, String src, Path baseDir) {
    if (!m.hasGraph()) {
      String why = m.getIrVersion() == 0 ? "no IR version and no graph" : "no graph";
      throw new InvalidModelException(src + ": not a valid ONNX model (" + why + ")");
    }
    if (m.getIrVersion() < MIN_IR_VERSION) {
      throw new UnsupportedOpException(
          src + ": IR version " + m.getIrVersion() + " is older than " + MIN_IR_VERSION
              + ", the oldest Convoy reads");
    }
    Map<String, Long> opsets = new LinkedHashMap<>();
    for (OperatorSetIdProto op : m.getOpsetImportList()) {
      String domain = op.getDomain().equals("ai.onnx") ? "" : op.getDomain();
      opsets.putIfAbsent(domain, op.getVersion());
    }
    if (opsets.isEmpty()) {
      throw new InvalidModelException(src + ": not a valid ONNX model (no opset_import)");
    }
    Long opset = opsets.get("");
    if (opset != null && opset < MIN_OPSET) {
      throw new UnsupportedOpException(
          src + ": default-domain opset " + opset + " is older than " + MIN_OPSET
              + ", the oldest Convoy reads");
    }
    try {
      Graph g = new Graph();
      g.setInfo(new ModelInfo(
          m.getIrVersion(), m.getProducerName(), m.getProducerVersion(), m.getDomain(),
          m.getModelVersion(), m.getDocString()));
      for (StringStringEntryProto e : m.getMetadataPropsList()) {
        g.metadata().put(e.getKey(), e.getValue());
      }
      GraphProto body = FunctionInliner.inline(m, opsets);
      g.opsets().putAll(opsets);
      GraphReader.read(body, g, new ExternalData(baseDir));
      return g;
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(src + ": " + e.getMessage());
    } catch (InvalidModelException e) {
      throw new InvalidModelException(src + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
        | IndexOutOfBoundsException e) {
      // The IR's own consistency checks; a file can trip them only by being malformed.
      throw new InvalidModelException(src + ": not a valid ONNX model (" + e.getMessage() + ")", e);
    }
  }
}

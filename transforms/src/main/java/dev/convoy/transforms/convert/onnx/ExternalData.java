package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.convoy.ir.InvalidModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Resolves ONNX external tensor data ({@code data_location = EXTERNAL}, keys {@code location},
 * {@code offset}, {@code length}) to memory-mapped slices of the data file, so that weights never
 * pass through the Java heap. A data file up to 2 GiB is mapped once and sliced per tensor; a
 * larger one is mapped per tensor (one mapping is limited to 2 GiB). The location must stay inside
 * the model's folder, and offset and length inside the file.
 */
final class ExternalData {
  private final Path baseDir;
  private final Map<Path, ByteBuffer> mappedFiles = new HashMap<>();

  /** {@code baseDir}: the folder of the model file, or {@code null} when there is none. */
  ExternalData(Path baseDir) {
    this.baseDir = baseDir;
  }

  /** The {@code expectedBytes} bytes of {@code t}'s external data, mapped read-only. */
  ByteBuffer map(TensorProto t, long expectedBytes) {
    String what = "tensor '" + t.getName() + "'";
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parseLong(what, "offset", e.getValue());
        case "length" -> length = parseLong(what, "length", e.getValue());
        default -> { } // "checksum" and unknown keys do not affect where the bytes are
      }
    }
    if (location == null || location.isEmpty()) {
      throw new InvalidModelException(what + ": external data without a location");
    }
    if (baseDir == null) {
      throw new InvalidModelException(
          what + ": external data '" + location + "' but the model has no folder to resolve it in");
    }
    if (length >= 0 && length != expectedBytes) {
      throw new InvalidModelException(
          what + ": external data length " + length + " does not match the " + expectedBytes
              + " bytes its type and shape need");
    }
    Path file = resolveInside(what, location);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (offset < 0 || offset > size || expectedBytes > size - offset) {
        throw new InvalidModelException(
            what + ": external data at offset " + offset + " with length " + expectedBytes
                + " lies outside '" + location + "' (" + size + " bytes)");
      }
      if (size <= Integer.MAX_VALUE) {
        ByteBuffer whole = mappedFiles.get(file);
        if (whole == null) {
          whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
          mappedFiles.put(file, whole);
        }
        return whole.slice((int) offset, (int) expectedBytes);
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, offset, expectedBytes);
    } catch (NoSuchFileException e) {
      throw new InvalidModelException(what + ": external data file '" + location + "' not found");
    } catch (IOException e) {
      throw new InvalidModelException(
          what + ": cannot read external data file '" + location + "': " + e.getMessage(), e);
    }
  }

  private Path resolveInside(String what, String location) {
    Path folder = baseDir.toAbsolutePath().normalize();
    Path rel;
    try {
      rel = Path.of(location);
    } catch (RuntimeException e) {
      throw new InvalidModelException(what + ": invalid external data location '" + location + "'");
    }
    Path file = folder.resolve(rel).normalize();
    if (rel.isAbsolute() || !file.startsWith(folder) || file.equals(folder)) {
      throw new InvalidModelException(
          what + ": external data location '" + location + "' points outside the model's folder");
    }
    try {
      // A symbolic link inside the folder may still lead out of it.
      if (Files.exists(file) && !file.toRealPath().startsWith(folder.toRealPath())) {
        throw new InvalidModelException(
            what + ": external data location '" + location + "' points outside the model's folder");
      }
    } catch (IOException e) {
      throw new InvalidModelException(what + ": cannot resolve '" + location + "': " + e.getMessage());
    }
    return file;
  }

  private static long parseLong(String what, String key, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new InvalidModelException(what + ": external data " + key + " '" + text + "' is not a number");
    }
  }
}

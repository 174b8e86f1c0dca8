package dev.convoy.ir.format;

import dev.convoy.ir.graph.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Facts about Convoy's native model format, {@code .cvy}: one file holding a protobuf header (the
 * whole graph structure, schema {@code cvy.proto}) and one weight blob in which every tensor's
 * data starts at a multiple of {@value #ALIGNMENT} bytes, so {@link CvyReader} can memory-map the
 * weights instead of reading them. The fixed preamble is {@value #PREAMBLE_BYTES} bytes: magic,
 * format version, a reserved word, header length and blob length (little-endian).
 */
public final class CvyFormat {
  /** The first eight bytes of every .cvy file; the line-ending bytes catch text-mode damage. */
  static final byte[] MAGIC = {'C', 'V', 'Y', '1', '\r', '\n', 0x1a, '\n'};

  /** The format version this build writes and reads. */
  public static final int VERSION = 1;

  /** Alignment of the blob start and of every tensor's data in it. */
  public static final int ALIGNMENT = 64;

  static final int PREAMBLE_BYTES = 32;

  /** The conventional file extension. */
  public static final String EXTENSION = ".cvy";

  private CvyFormat() {}

  /** Whether {@code path} starts with the .cvy magic bytes (false when unreadable or short). */
  public static boolean looksLikeCvy(Path path) {
    if (!Files.isRegularFile(path)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(path)) {
      return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
    } catch (IOException e) {
      return false;
    }
  }

  static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /** Uniform tensors from this size up are stored as one element (smaller ones stay mapped). */
  public static final int SPLAT_MIN_BYTES = 4096;

  /**
   * The one element every element of {@code t} equals, for tensors worth storing that way (at
   * least {@link #SPLAT_MIN_BYTES}, whole-byte element types). Such a tensor is stored as that
   * element alone and read back onto the heap, not mapped; else {@code null}.
   */
  public static byte[] splatElement(Tensor t) {
    int size = t.dtype().byteSize();
    long n = t.numElements();
    if (size == 0 || t.byteSize() < SPLAT_MIN_BYTES || t.byteSize() != n * size) {
      return null;
    }
    ByteBuffer d = t.data();
    for (int i = size; i < d.limit(); i++) {
      if (d.get(i) != d.get(i % size)) {
        return null;
      }
    }
    byte[] element = new byte[size];
    d.get(0, element);
    return element;
  }
}

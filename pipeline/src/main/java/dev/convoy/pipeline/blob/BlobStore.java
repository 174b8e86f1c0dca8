package dev.convoy.pipeline.blob;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-addressed graph files under a run's output folder: how graphs with their weights move
 * between pipeline stages (and workers sharing the folder) without going through the runner. A
 * graph is stored under the SHA-256 of its bytes, so storing the same graph twice is free and
 * concurrent writers never conflict; reading memory-maps the file.
 */
public final class BlobStore implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final String EXTENSION = ".cvy";

  private final String root;

  public BlobStore(Path root) {
    this.root = root.toAbsolutePath().toString();
  }

  public Path root() {
    return Path.of(root);
  }

  /** Stores {@code g} as a .cvy file; returns its key (the hex content hash of the file). */
  public String put(Graph g) {
    try {
      Files.createDirectories(Path.of(root));
      Path tmp = Files.createTempFile(Path.of(root), ".put-", ".tmp");
      CvyWriter.write(g, tmp);
      String key = sha256(tmp);
      Path target = path(key);
      if (Files.exists(target)) {
        Files.delete(tmp);
      } else {
        moveIntoPlace(tmp, target);
      }
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a blob under " + root, e);
    }
  }

  /** Reads the graph stored under {@code key}. */
  public Graph get(String key) {
    Path p = path(key);
    if (!Files.isRegularFile(p)) {
      throw new ConvoyException(p + ": blob missing from the store (was the output folder cleaned?)");
    }
    return CvyReader.read(p);
  }

  public Path path(String key) {
    return Path.of(root, key + EXTENSION);
  }

  /** Moves a finished temp file to its content-addressed name; a racing twin is equal, keep it. */
  public static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(tmp);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static String sha256(Path file) {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.convoy.pipeline.blob;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-addressed graph files under a run's output location: how graphs with their weights move
 * between pipeline stages (and workers sharing the location) without going through the runner. A
 * graph is stored under the SHA-256 of its bytes, so storing the same graph twice is free and
 * concurrent writers never conflict. The root is a {@link Storage} location of any scheme;
 * reading memory-maps the file where the root is local, else a local copy of it that each worker
 * fetches once.
 */
public final class BlobStore implements Serializable {
  private static final long serialVersionUID = 2L;
  private static final String EXTENSION = ".cvy";

  private final String root;

  /** A store rooted at folder location {@code root} (a local path or a URI). */
  public BlobStore(String root) {
    this.root = Storage.isLocal(root) ? Storage.of(Storage.localPath(root).orElseThrow()) : root;
  }

  /** Stores {@code g} as a .cvy file; returns its key (the hex content hash of the file). */
  public String put(Graph g) {
    try {
      Path dir = Storage.localPath(root).orElseGet(Storage::scratch);
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".put-", ".tmp");
      CvyWriter.write(g, tmp);
      String key = sha256(tmp);
      Storage.publish(tmp, location(key), true);
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a blob under " + root, e);
    }
  }

  /** Reads the graph stored under {@code key}. */
  public Graph get(String key) {
    String at = location(key);
    if (!Storage.exists(at)) {
      throw new ConvoyException(at + ": blob missing from the store (was the output folder cleaned?)");
    }
    return CvyReader.read(Storage.localCopy(at));
  }

  private String location(String key) {
    return Storage.file(root, key + EXTENSION);
  }

  /** The hex SHA-256 of a local file's bytes. */
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

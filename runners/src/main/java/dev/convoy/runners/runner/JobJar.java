package dev.convoy.runners.runner;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The jar a run stages to a remote Flink cluster: Convoy's own classes only. A cluster started
 * with {@code convoy cluster start} already holds every third-party library (Flink, Beam, ONNX
 * Runtime, DuckDB, Hadoop) on its classpath, so a submission uploads a few MB instead of the
 * 250+ MB shaded bundle, and the natives load once per TaskManager. Built from the client's own
 * classpath: module folders ({@code target/classes}) and module jars are packed into one jar; a
 * single jar that already holds Convoy (the {@code -Pbundle} shaded jar) is staged as it is.
 */
public final class JobJar {
  private static final String CONVOY_PACKAGE = "dev/convoy/";
  private static final String MANIFEST = "META-INF/MANIFEST.MF";

  private JobJar() {}

  /** Whether classpath entry {@code entry} (folder or jar) holds Convoy classes. */
  public static boolean holdsConvoy(Path entry) {
    if (Files.isDirectory(entry)) {
      return Files.isDirectory(entry.resolve(CONVOY_PACKAGE));
    }
    if (!Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
      return false;
    }
    try (JarFile jar = new JarFile(entry.toFile())) {
      return jar.getEntry(CONVOY_PACKAGE) != null
          || jar.stream().anyMatch(e -> e.getName().startsWith(CONVOY_PACKAGE));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The jar to stage for this JVM's classpath, written into {@code workDir} when it has to be
   * packed.
   */
  public static Path forThisClasspath(Path workDir) {
    List<Path> convoy = convoyEntries();
    if (convoy.size() == 1 && Files.isRegularFile(convoy.get(0))) {
      return convoy.get(0);
    }
    return pack(convoy, workDir.resolve("convoy-job.jar"));
  }

  /**
   * The entries of this JVM's classpath (module folders or jars) that hold Convoy's own classes,
   * test classes left out: what a job stages and what {@code convoy cluster start} installs.
   */
  public static List<Path> convoyEntries() {
    List<Path> convoy = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(e);
      if (!e.isEmpty() && holdsConvoy(p) && !e.endsWith("-tests.jar") && !isTestClasses(p)) {
        convoy.add(p.toAbsolutePath());
      }
    }
    if (convoy.isEmpty()) {
      throw new IllegalStateException("no Convoy classes on the classpath to stage");
    }
    return convoy;
  }

  /** Packs the classes of {@code entries} (folders and jars) into {@code out}. */
  public static Path pack(List<Path> entries, Path out) {
    try {
      Files.createDirectories(out.getParent());
      try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
        visit(entries, (name, in) -> {
          jar.putNextEntry(new JarEntry(name));
          in.transferTo((OutputStream) jar);
          jar.closeEntry();
        });
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the job jar " + out, e);
    }
  }

  /**
   * The build {@code entries} hold: a SHA-256 over the sorted names of the files a packed job jar
   * would hold and their contents (so the same classes give the same hash as module folders, as
   * one packed jar or as the jar a cluster installed), and the newest file's modification time.
   */
  public static ConvoyBuild build(List<Path> entries) {
    Map<String, byte[]> digests = new TreeMap<>();
    long[] newest = {0};
    try {
      visit(entries, (name, in) -> digests.put(name, sha256().digest(in.readAllBytes())));
      for (Path entry : entries) {
        try (Stream<Path> files = Files.isDirectory(entry) ? Files.walk(entry) : Stream.of(entry)) {
          for (Path f : files.filter(Files::isRegularFile).toList()) {
            newest[0] = Math.max(newest[0], Files.getLastModifiedTime(f).toMillis());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Convoy's classes in " + entries, e);
    }
    MessageDigest all = sha256();
    digests.forEach((name, digest) -> {
      all.update(name.getBytes(StandardCharsets.UTF_8));
      all.update((byte) 0);
      all.update(digest);
    });
    return new ConvoyBuild(HexFormat.of().formatHex(all.digest()), Instant.ofEpochMilli(newest[0]));
  }

  /** What {@link #visit} hands each file to. */
  private interface FileVisitor {
    void accept(String name, InputStream content) throws IOException;
  }

  /**
   * Each file of {@code entries} (folders walked in sorted order, jars in their order) by its
   * name in a jar, the first of each name only, without manifests.
   */
  private static void visit(List<Path> entries, FileVisitor visitor) throws IOException {
    Set<String> seen = new HashSet<>();
    for (Path entry : entries) {
      if (Files.isDirectory(entry)) {
        try (Stream<Path> files = Files.walk(entry)) {
          for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
            String name = entry.relativize(f).toString().replace(File.separatorChar, '/');
            if (!name.equals(MANIFEST) && seen.add(name)) {
              try (InputStream in = Files.newInputStream(f)) {
                visitor.accept(name, in);
              }
            }
          }
        }
      } else {
        try (JarFile src = new JarFile(entry.toFile())) {
          for (JarEntry e : src.stream().filter(e -> !e.isDirectory()).toList()) {
            if (!e.getName().equals(MANIFEST) && seen.add(e.getName())) {
              try (InputStream in = src.getInputStream(e)) {
                visitor.accept(e.getName(), in);
              }
            }
          }
        }
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isTestClasses(Path p) {
    return p.getFileName() != null && p.getFileName().toString().equals("test-classes");
  }
}

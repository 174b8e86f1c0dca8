package dev.convoy.runners.runner;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    if (convoy.size() == 1 && Files.isRegularFile(convoy.get(0))) {
      return convoy.get(0);
    }
    return pack(convoy, workDir.resolve("convoy-job.jar"));
  }

  /** Packs the classes of {@code entries} (folders and jars) into {@code out}. */
  static Path pack(List<Path> entries, Path out) {
    try {
      Files.createDirectories(out.getParent());
      Set<String> seen = new HashSet<>();
      try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
        for (Path entry : entries) {
          if (Files.isDirectory(entry)) {
            try (Stream<Path> files = Files.walk(entry)) {
              for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = entry.relativize(f).toString().replace(File.separatorChar, '/');
                try (InputStream in = Files.newInputStream(f)) {
                  add(jar, seen, name, in);
                }
              }
            }
          } else {
            try (JarFile src = new JarFile(entry.toFile())) {
              for (JarEntry e : src.stream().filter(e -> !e.isDirectory()).toList()) {
                try (InputStream in = src.getInputStream(e)) {
                  add(jar, seen, e.getName(), in);
                }
              }
            }
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the job jar " + out, e);
    }
  }

  private static void add(JarOutputStream jar, Set<String> seen, String name, InputStream in)
      throws IOException {
    if (name.equals("META-INF/MANIFEST.MF") || !seen.add(name)) {
      return;
    }
    jar.putNextEntry(new JarEntry(name));
    in.transferTo((OutputStream) jar);
    jar.closeEntry();
  }

  private static boolean isTestClasses(Path p) {
    return p.getFileName() != null && p.getFileName().toString().equals("test-classes");
  }
}

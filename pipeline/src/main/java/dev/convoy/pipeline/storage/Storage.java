package dev.convoy.pipeline.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Where the pipeline reads and writes: every location (a zoo's model, a blob, an artifact, a
 * warehouse file, a run's staging folder) is a string that Beam's {@link FileSystems} resolves,
 * either a local path or a URI of any filesystem scheme on the classpath ({@code hdfs://} with
 * Beam's Hadoop module, {@code gs://}, a test's in-memory scheme). Local locations keep their fast
 * paths (memory-mapped reads, renames, hard links); any other scheme is read into a local cache
 * file first (then memory-mapped) and written from a local file. Pipeline code outside this class
 * touches {@code java.nio.file} only for such local copies.
 */
public final class Storage {
  private static final String LOCAL_SCHEME = "file";
  private static final String MIME = "application/octet-stream";
  /** How many folder levels {@link #list} descends on a filesystem without a recursive glob. */
  private static final int LIST_DEPTH = 8;

  private Storage() {}

  /** The resource {@code location} names: a folder when it ends in '/', else a file. */
  public static ResourceId resource(String location) {
    return resource(location, location.endsWith("/"));
  }

  /** The resource {@code location} names: a folder when {@code directory}, else a file. */
  private static ResourceId resource(String location, boolean directory) {
    try {
      return FileSystems.matchNewResource(location, directory);
    } catch (IllegalArgumentException e) {
      // A JVM that built no pipeline yet has only the local scheme: register them all, retry.
      FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.create());
      return FileSystems.matchNewResource(location, directory);
    }
  }

  /** The file {@code name} (may hold '/') inside folder {@code dir}. */
  public static String file(String dir, String name) {
    return resolve(dir, name, StandardResolveOptions.RESOLVE_FILE);
  }

  /** The folder {@code name} (may hold '/') inside folder {@code dir}, ending in '/'. */
  public static String dir(String dir, String name) {
    return resolve(dir, name, StandardResolveOptions.RESOLVE_DIRECTORY);
  }

  private static String resolve(String dir, String name, StandardResolveOptions how) {
    ResourceId r = resource(dir, true);
    String[] parts = name.split("/");
    for (int i = 0; i < parts.length; i++) {
      if (!parts[i].isEmpty()) {
        r = r.resolve(parts[i], i == parts.length - 1 ? how
            : StandardResolveOptions.RESOLVE_DIRECTORY);
      }
    }
    return r.toString();
  }

  /** The location of a local path, absolute. */
  public static String of(Path local) {
    return local.toAbsolutePath().normalize().toString();
  }

  /** Whether {@code location} is on the local filesystem. */
  public static boolean isLocal(String location) {
    return resource(location).getScheme().equals(LOCAL_SCHEME);
  }

  /** The local path of {@code location}, or empty for another scheme. */
  public static Optional<Path> localPath(String location) {
    if (!isLocal(location)) {
      return Optional.empty();
    }
    String s = location.startsWith("file:") ? Path.of(java.net.URI.create(location)).toString()
        : location;
    return Optional.of(Path.of(s).toAbsolutePath());
  }

  /** The last path element of {@code location}. */
  public static String fileName(String location) {
    String name = resource(location).getFilename();
    return name == null ? "" : name;
  }

  /** Whether a file exists at {@code location}. */
  public static boolean exists(String location) {
    return size(location) >= 0;
  }

  /** The size in bytes of the file at {@code location}, or -1 when there is none. */
  public static long size(String location) {
    Optional<Path> local = localPath(location);
    if (local.isPresent()) {
      try {
        return Files.isRegularFile(local.get()) ? Files.size(local.get()) : -1;
      } catch (IOException e) {
        return -1;
      }
    }
    MatchResult.Metadata meta = metadata(location);
    return meta == null ? -1 : meta.sizeBytes();
  }

  /**
   * Every file under folder {@code dir} (recursively; on another filesystem down to {@value
   * #LIST_DEPTH} levels), as sorted locations; none when it is absent.
   */
  public static List<String> list(String dir) {
    Optional<Path> local = localPath(dir);
    if (local.isPresent()) {
      if (!Files.isDirectory(local.get())) {
        return List.of();
      }
      try (Stream<Path> s = Files.walk(local.get())) {
        return s.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    try {
      // Not every filesystem matches a recursive "**" (Beam's Hadoop filesystem found nothing
      // under a staging folder on HDFS with it), so the levels are also matched one by one.
      String base = dir(dir, "");
      List<String> specs = new ArrayList<>(List.of(base + "**"));
      for (String level = "*"; specs.size() <= LIST_DEPTH; level += "/*") {
        specs.add(base + level);
      }
      TreeSet<String> found = new TreeSet<>();
      for (MatchResult m : FileSystems.match(specs, EmptyMatchTreatment.ALLOW)) {
        if (m.status() == MatchResult.Status.OK) {
          m.metadata().forEach(md -> found.add(md.resourceId().toString()));
        }
      }
      // A one-level glob also matches the folders of that level (Hadoop's does): a name that
      // others continue is a folder, not a file.
      List<String> out = new ArrayList<>();
      for (String f : found) {
        String next = found.higher(f + "/");
        if (!found.contains(f + "/") && (next == null || !next.startsWith(f + "/"))) {
          out.add(f);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** Opens the file at {@code location} for reading. */
  public static InputStream open(String location) throws IOException {
    ReadableByteChannel ch = FileSystems.open(resource(location, false));
    return Channels.newInputStream(ch);
  }

  /** Creates (or replaces) the file at {@code location}, its folders included. */
  public static OutputStream create(String location) throws IOException {
    WritableByteChannel ch = FileSystems.create(resource(location, false), MIME);
    return Channels.newOutputStream(ch);
  }

  /** Writes {@code text} as UTF-8 to {@code location}, replacing it. */
  public static void writeString(String location, String text) {
    try (OutputStream out = create(location)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + location, e);
    }
  }

  /**
   * Puts the finished local file {@code from} at {@code to} and removes {@code from}: a rename
   * when {@code to} is local (atomic where the filesystem allows), else an upload. When {@code
   * keepExisting} and a file is already there (an equal content-addressed one), it stays.
   */
  public static void publish(Path from, String to, boolean keepExisting) throws IOException {
    Optional<Path> local = localPath(to);
    if (local.isPresent()) {
      Path target = local.get();
      Files.createDirectories(target.getParent());
      try {
        if (keepExisting) {
          Files.move(from, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
          Files.move(from, target, StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        }
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(from);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(from, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return;
    }
    try {
      if (!keepExisting || !exists(to)) {
        // Written beside its name first, then renamed: a reader never sees half a file.
        String part = to + ".part-" + Long.toHexString(System.nanoTime());
        try (OutputStream out = create(part)) {
          Files.copy(from, out);
        }
        rename(part, to);
      }
    } finally {
      Files.deleteIfExists(from);
    }
  }

  /**
   * A fresh local temp file for a file on its way to folder {@code dir}: inside {@code dir} where
   * it is local (so {@link #publish} is a rename), else in this JVM's scratch folder.
   */
  public static Path localTempIn(String dir, String prefix, String suffix) throws IOException {
    Optional<Path> local = localPath(dir);
    if (local.isEmpty()) {
      return scratchFile(prefix, suffix);
    }
    Files.createDirectories(local.get());
    return Files.createTempFile(local.get(), prefix, suffix);
  }

  /**
   * Copies file {@code from} to {@code to}, replacing it: a hard link where both are local and
   * the filesystem allows, else a copy written beside {@code to} and renamed into place.
   */
  public static void copy(String from, String to) throws IOException {
    Optional<Path> src = localPath(from);
    Optional<Path> dst = localPath(to);
    if (src.isPresent() && dst.isPresent()) {
      Path target = dst.get();
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".copy-", ".tmp");
      Files.delete(tmp);
      try {
        Files.createLink(tmp, src.get());
      } catch (IOException | UnsupportedOperationException e) {
        Files.copy(src.get(), tmp);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    String part = to + ".part-" + Long.toHexString(System.nanoTime());
    try (InputStream in = open(from); OutputStream out = create(part)) {
      in.transferTo(out);
    }
    rename(part, to);
  }

  /** Renames file {@code from} to {@code to} (same scheme), replacing it; folders are created. */
  public static void rename(String from, String to) throws IOException {
    FileSystems.rename(List.of(resource(from, false)), List.of(resource(to, false)));
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  public static void deleteTree(String dir) {
    Optional<Path> local = localPath(dir);
    if (local.isPresent()) {
      if (!Files.exists(local.get())) {
        return;
      }
      try (Stream<Path> s = Files.walk(local.get())) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + dir, e);
      }
      return;
    }
    List<String> files = list(dir);
    try {
      List<ResourceId> ids = new ArrayList<>();
      for (String f : files) {
        ids.add(resource(f, false));
      }
      FileSystems.delete(ids, StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
    deleteEmptyFolders(dir, files);
  }

  /**
   * Removes the folders that held {@code files} under {@code dir}, deepest first, and {@code dir}
   * itself, on a filesystem that has folders (HDFS does; an object store or {@code mem://} has
   * none, and then there is nothing to remove). A folder that is not empty stays.
   */
  private static void deleteEmptyFolders(String dir, List<String> files) {
    String root = dir(dir, "");
    TreeSet<String> folders = new TreeSet<>(Comparator.reverseOrder());
    folders.add(root);
    for (String f : files) {
      for (int slash = f.lastIndexOf('/'); slash > root.length(); slash = f.lastIndexOf('/',
          slash - 1)) {
        folders.add(f.substring(0, slash + 1));
      }
    }
    for (String folder : folders) {
      try {
        FileSystems.delete(List.of(resource(folder, true)), StandardMoveOptions.IGNORE_MISSING_FILES);
      } catch (IOException | RuntimeException e) {
        // No folders on this filesystem, or one that is not empty: nothing to remove.
      }
    }
  }

  /**
   * A local file with the content of {@code location}: the file itself where it is local, else a
   * copy in this JVM's cache (keyed by location, size and content of the first read, so a worker
   * downloads each blob or model once), ready to memory-map.
   */
  public static Path localCopy(String location) {
    return localCopy(location, copy -> List.of());
  }

  /**
   * As {@link #localCopy(String)}, and for a file on another scheme also the files that {@code
   * sidecars} names for the copy (paths relative to {@code location}'s folder, such as an ONNX
   * model's external data), each copied to the same place relative to the copy, where a reader of
   * the copy looks for them. A name that leads out of the folder is not copied (the reader then
   * reports it missing).
   */
  public static Path localCopy(String location, Function<Path, Collection<String>> sidecars) {
    Optional<Path> local = localPath(location);
    if (local.isPresent()) {
      return local.get();
    }
    MatchResult.Metadata meta = metadata(location);
    if (meta == null) {
      throw new UncheckedIOException(new java.io.FileNotFoundException(location));
    }
    Path dir = cacheDir().resolve(
        sha256(location + "#" + meta.sizeBytes() + "#" + meta.lastModifiedMillis()));
    Path copy = dir.resolve(safe(fileName(location)));
    fetch(location, copy, meta);
    String folder = resource(location, false).getCurrentDirectory().toString();
    for (String name : sidecars.apply(copy)) {
      Path target = dir.resolve(name).normalize();
      if (!target.startsWith(dir) || target.equals(copy) || name.contains("\\")) {
        continue;
      }
      String from = file(folder, name);
      MatchResult.Metadata sidecar = metadata(from);
      if (sidecar != null) {
        fetch(from, target, sidecar);
      }
    }
    return copy;
  }

  /** The metadata of the file at {@code location} on a Beam filesystem, or null when absent. */
  private static MatchResult.Metadata metadata(String location) {
    try {
      MatchResult m = FileSystems.match(location, EmptyMatchTreatment.ALLOW);
      return m.status() == MatchResult.Status.OK && !m.metadata().isEmpty()
          ? m.metadata().get(0) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Downloads {@code location} (whose metadata is {@code meta}) to local file {@code target}
   * unless a copy of it is already there: one of the same size made after the file was last
   * modified. A file rewritten in place (same path, even the same size) is fetched again, so a
   * long-lived worker never reads an earlier version of a model or of its external data.
   */
  private static void fetch(String location, Path target, MatchResult.Metadata meta) {
    try {
      if (Files.isRegularFile(target) && Files.size(target) == meta.sizeBytes()
          && Files.getLastModifiedTime(target).toMillis() >= meta.lastModifiedMillis()) {
        return;
      }
    } catch (IOException e) {
      // unreadable: fetch it again
    }
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".download-", ".tmp");
      try (InputStream in = open(location)) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + location + " to this machine", e);
    }
  }

  /** A private local scratch folder of this JVM, for files on their way to another scheme. */
  public static Path scratch() {
    try {
      return Files.createDirectories(cacheDir().resolve("scratch"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a local scratch folder", e);
    }
  }

  /** A fresh empty file in this JVM's local scratch folder. */
  public static Path scratchFile(String prefix, String suffix) throws IOException {
    return Files.createTempFile(scratch(), prefix, suffix);
  }

  /** Deletes local scratch files, those that exist. */
  public static void deleteLocal(Path... files) throws IOException {
    for (Path f : files) {
      Files.deleteIfExists(f);
    }
  }

  private static Path cacheDir() {
    return Cache.DIR;
  }

  /**
   * This JVM's cache of remote files and scratch folder, removed when the JVM exits; a JVM that
   * never reached its shutdown hook (SIGKILL, a crash) leaves its folder, which the next JVM to
   * open a cache removes ({@link #deleteStaleCaches}).
   */
  private static final class Cache {
    static final String PREFIX = "convoy-storage-";
    static final Path DIR = Path.of(System.getProperty("java.io.tmpdir"),
        PREFIX + ProcessHandle.current().pid());

    static {
      deleteStaleCaches(DIR.getParent());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(of(DIR))));
    }
  }

  /**
   * Deletes the {@code convoy-storage-<pid>} folders in {@code tmp} whose process is no longer
   * running, and returns them. Best effort: a folder another process is deleting, or one this
   * user may not delete, stays.
   */
  static List<Path> deleteStaleCaches(Path tmp) {
    List<Path> deleted = new ArrayList<>();
    try (Stream<Path> s = Files.list(tmp)) {
      for (Path dir : s.toList()) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(Cache.PREFIX) || !Files.isDirectory(dir)) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name.substring(Cache.PREFIX.length()));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        try {
          deleteTree(dir.toString());
          deleted.add(dir);
        } catch (UncheckedIOException e) {
          // Someone else's folder, or one being removed by another JVM starting now.
        }
      }
    } catch (IOException e) {
      // No readable temporary folder: nothing to clean.
    }
    return deleted;
  }

  private static String safe(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.isEmpty() ? "file" : s;
  }

  private static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

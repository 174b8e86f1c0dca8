package dev.convoy.pipeline.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.io.FileSystemUtils;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * A Beam filesystem held in this JVM's memory under the {@code mem://} scheme, registered for
 * tests through {@code META-INF/services}: a run whose output goes there can only have written
 * through {@link org.apache.beam.sdk.io.FileSystems}, since nothing of it exists on disk. Files are
 * byte arrays keyed by their full name; folders exist only as name prefixes, as in object stores.
 */
public final class MemoryFileSystem extends FileSystem<MemoryFileSystem.Id> {
  public static final String SCHEME = "mem";
  private static final Map<String, byte[]> FILES = new ConcurrentSkipListMap<>();

  /** Every file under {@code prefix}, by name. */
  public static Map<String, byte[]> files(String prefix) {
    Map<String, byte[]> out = new TreeMap<>();
    FILES.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        out.put(k, v);
      }
    });
    return out;
  }

  @Override
  protected List<MatchResult> match(List<String> specs) {
    List<MatchResult> out = new ArrayList<>();
    for (String spec : specs) {
      Pattern p = Pattern.compile(FileSystemUtils.wildcardToRegexp(spec));
      List<MatchResult.Metadata> found = new ArrayList<>();
      FILES.forEach((name, bytes) -> {
        if (p.matcher(name).matches()) {
          found.add(MatchResult.Metadata.builder().setResourceId(new Id(name))
              .setSizeBytes(bytes.length).setIsReadSeekEfficient(true)
              .setLastModifiedMillis(0).build());
        }
      });
      out.add(found.isEmpty() ? MatchResult.create(MatchResult.Status.NOT_FOUND,
          new FileNotFoundException(spec)) : MatchResult.create(MatchResult.Status.OK, found));
    }
    return out;
  }

  @Override
  protected WritableByteChannel create(Id id, CreateOptions options) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream() {
      @Override
      public void close() {
        FILES.put(id.name, toByteArray());
      }
    };
    return Channels.newChannel(buf);
  }

  @Override
  protected ReadableByteChannel open(Id id) throws IOException {
    byte[] bytes = FILES.get(id.name);
    if (bytes == null) {
      throw new FileNotFoundException(id.name);
    }
    return Channels.newChannel(new ByteArrayInputStream(bytes));
  }

  @Override
  protected void copy(List<Id> srcs, List<Id> dsts) throws IOException {
    for (int i = 0; i < srcs.size(); i++) {
      byte[] bytes = FILES.get(srcs.get(i).name);
      if (bytes == null) {
        throw new FileNotFoundException(srcs.get(i).name);
      }
      FILES.put(dsts.get(i).name, bytes);
    }
  }

  @Override
  protected void rename(List<Id> srcs, List<Id> dsts, MoveOptions... options) throws IOException {
    boolean ignoreMissing = List.of(options).contains(
        MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    for (int i = 0; i < srcs.size(); i++) {
      byte[] bytes = FILES.remove(srcs.get(i).name);
      if (bytes == null) {
        if (ignoreMissing) {
          continue;
        }
        throw new FileNotFoundException(srcs.get(i).name);
      }
      FILES.put(dsts.get(i).name, bytes);
    }
  }

  @Override
  protected void delete(Collection<Id> ids) {
    ids.forEach(id -> FILES.remove(id.name));
  }

  @Override
  protected Id matchNewResource(String spec, boolean isDirectory) {
    return new Id(isDirectory && !spec.endsWith("/") ? spec + "/" : spec);
  }

  @Override
  protected String getScheme() {
    return SCHEME;
  }

  /** A name under {@code mem://}; folders end in '/'. */
  static final class Id implements ResourceId {
    private static final long serialVersionUID = 1L;
    private final String name;

    Id(String name) {
      this.name = name;
    }

    @Override
    public ResourceId resolve(String other, ResolveOptions how) {
      if (!isDirectory()) {
        throw new IllegalStateException("resolve against a file: " + name);
      }
      boolean dir = how == ResolveOptions.StandardResolveOptions.RESOLVE_DIRECTORY;
      return new Id(name + other + (dir && !other.endsWith("/") ? "/" : ""));
    }

    @Override
    public ResourceId getCurrentDirectory() {
      return isDirectory() ? this : new Id(name.substring(0, name.lastIndexOf('/') + 1));
    }

    @Override
    public String getScheme() {
      return SCHEME;
    }

    @Override
    public String getFilename() {
      String s = isDirectory() ? name.substring(0, name.length() - 1) : name;
      return s.substring(s.lastIndexOf('/') + 1);
    }

    @Override
    public boolean isDirectory() {
      return name.endsWith("/");
    }

    @Override
    public String toString() {
      return name;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Id other && other.name.equals(name);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name);
    }
  }

  /** Registers {@code mem://} with Beam (listed in {@code META-INF/services}). */
  public static final class Registrar implements FileSystemRegistrar {
    @Override
    public Iterable<FileSystem<?>> fromOptions(PipelineOptions options) {
      return List.of(new MemoryFileSystem());
    }
  }
}

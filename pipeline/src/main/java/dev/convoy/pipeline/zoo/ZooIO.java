package dev.convoy.pipeline.zoo;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.caffe.CaffeImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads a model zoo: a folder (searched recursively) or a manifest file ({@code .csv}, {@code
 * .yaml}). Each model becomes one small {@link ModelRef}; the weights stay in the file for the
 * worker that converts it. The listing happens when the pipeline is built, so the total is known
 * for progress reporting.
 *
 * <p>In a folder, a file is a model when its extension is one of {@link ModelFormat}'s ({@code
 * .onnx}, {@code .cvy}, {@code .tflite}) or {@code .prototxt} (even if its content is broken: it
 * then fails at conversion and is reported), or when its content sniffs as a model format
 * whatever its extension. A Caffe model is its prototxt; the {@code .caffemodel} of the same stem
 * is its weights, not a second model. Sidecars are skipped: {@code NAME.onnx.oracle.args},
 * reference tensors ({@code .pb} files that are not TensorFlow GraphDefs, folders ending
 * {@code .ref}), external weights ({@code .data}), manifests and text.
 */
public final class ZooIO {
  private static final Set<String> MODEL_EXTENSIONS = java.util.stream.Stream.concat(
      java.util.Arrays.stream(ModelFormat.values()).map(ModelFormat::extension),
      java.util.stream.Stream.of("prototxt")).collect(java.util.stream.Collectors.toUnmodifiableSet());
  private static final Set<String> SIDECAR_EXTENSIONS =
      Set.of("args", "pb", "csv", "yaml", "yml", "md", "txt", "json", "properties", "data");

  private ZooIO() {}

  /** A source of the models under {@code zoo} (folder or manifest). */
  public static Read read(Path zoo) {
    return read(zoo.toString());
  }

  /**
   * A source of the models under {@code zoo}: a local folder or manifest, or a folder or manifest
   * on another filesystem (a URI Beam's {@code FileSystems} lists or reads).
   */
  public static Read read(String zoo) {
    return new Read(Storage.isLocal(zoo) ? Storage.of(Storage.localPath(zoo).orElseThrow())
        : isRemoteManifest(zoo) ? zoo : Storage.dir(zoo, ""));
  }

  /**
   * The folder the model paths of {@code zoo} are relative to: the zoo folder, or a manifest's
   * folder, on whichever filesystem it is.
   */
  public static String root(String zoo) {
    if (!Storage.isLocal(zoo)) {
      return isRemoteManifest(zoo) ? Storage.resource(zoo).getCurrentDirectory().toString()
          : Storage.dir(zoo, "");
    }
    Path z = Storage.localPath(zoo).orElseThrow().normalize();
    return Storage.of(Files.isDirectory(z) || z.getParent() == null ? z : z.getParent());
  }

  /** Whether {@code zoo}, on another filesystem than the local one, is a manifest file there. */
  private static boolean isRemoteManifest(String zoo) {
    return !zoo.endsWith("/") && Manifest.isManifest(zoo) && Storage.exists(zoo);
  }

  /** The {@link PTransform} returned by {@link #read}. */
  public static final class Read extends PTransform<PBegin, PCollection<ModelRef>> {
    private final String zoo;

    private Read(String zoo) {
      super("ZooIO.Read(" + Storage.fileName(zoo) + ")");
      this.zoo = zoo;
    }

    @Override
    public PCollection<ModelRef> expand(PBegin input) {
      // The list is sorted by name, and a synthetic or curated zoo groups models of one kind
      // (cost) together: a runner that splits Create into contiguous ranges would hand one
      // worker all the expensive ones. Redistributing the (small) references by random key
      // balances the workers and breaks fusion with the read.
      return input.apply(Create.of(list(zoo)).withCoder(JsonCoder.of(ModelRef.class)))
          .apply("Spread over workers", Reshuffle.viaRandomKey());
    }
  }

  /**
   * The models of {@code zoo} (a local folder or manifest, or a folder or manifest on another
   * filesystem), sorted by name; names are unique.
   */
  public static List<ModelRef> list(String zoo) {
    if (Storage.isLocal(zoo)) {
      return list(Storage.localPath(zoo).orElseThrow());
    }
    if (isRemoteManifest(zoo)) {
      return named(zoo, Manifest.read(zoo), root(zoo));
    }
    String dir = Storage.dir(zoo, "");
    List<String> files = Storage.list(dir);
    if (files.isEmpty()) {
      throw new ConvoyException(zoo + ": no such zoo folder or manifest, or no files in the"
          + " folder");
    }
    Set<String> present = Set.copyOf(files);
    List<Manifest.Entry> entries = files.stream()
        .filter(f -> isModelFile(f.substring(dir.length()),
            () -> present.contains(stem(f) + ".prototxt"), () -> sniff(Storage.localCopy(f))))
        .map(f -> new Manifest.Entry(f, null, null, List.of(), Map.of()))
        .toList();
    return named(zoo, entries, dir);
  }

  /** The models of local {@code zoo} (folder or manifest), sorted by name; names are unique. */
  public static List<ModelRef> list(Path zoo) {
    if (!Files.exists(zoo)) {
      throw new ConvoyException(zoo + ": no such zoo folder or manifest");
    }
    List<Manifest.Entry> entries =
        Files.isDirectory(zoo) ? scan(zoo) : Manifest.isManifest(zoo) ? Manifest.read(zoo)
            : List.of(new Manifest.Entry(zoo.toString(), null, null, List.of(), Map.of()));
    Path base = Files.isDirectory(zoo) ? zoo : zoo.toAbsolutePath().getParent();
    return named(zoo.toString(), entries, Storage.of(base));
  }

  /**
   * The references of {@code entries}, named by stem (by path under {@code base} where two share
   * a stem), sorted by name; two equal names are an error naming {@code zoo}.
   */
  private static List<ModelRef> named(String zoo, List<Manifest.Entry> entries, String base) {
    Map<String, Integer> baseNameCount = new HashMap<>();
    for (Manifest.Entry e : entries) {
      baseNameCount.merge(e.name() != null ? e.name() : stem(Storage.fileName(e.path())), 1,
          Integer::sum);
    }
    List<ModelRef> out = new ArrayList<>();
    for (Manifest.Entry e : entries) {
      out.add(toRef(e, base, baseNameCount));
    }
    out.sort(Comparator.comparing(ModelRef::name));
    for (int i = 1; i < out.size(); i++) {
      if (out.get(i).name().equals(out.get(i - 1).name())) {
        throw new ConvoyException(zoo + ": two models are named '" + out.get(i).name() + "'");
      }
    }
    return out;
  }

  private static ModelRef toRef(Manifest.Entry e, String base, Map<String, Integer> counts) {
    String name = e.name();
    if (name == null) {
      name = stem(Storage.fileName(e.path()));
      if (counts.get(name) > 1) {
        // Same file name in two folders: the path relative to the zoo tells them apart.
        String rel = relative(base, e.path());
        name = rel.contains(".") ? rel.substring(0, rel.lastIndexOf('.')) : rel;
      }
    }
    if (!Storage.isLocal(e.path())) {
      return remoteRef(e, name);
    }
    Path p = Path.of(e.path()).toAbsolutePath().normalize();
    Map<String, List<Long>> shapes = new LinkedHashMap<>(ShapeSpec.oracleArgsBeside(p));
    shapes.putAll(e.inputShapes());
    long size;
    try {
      size = Files.isRegularFile(p) ? Files.size(p) : -1;
      Path weights = e.weights() != null ? Path.of(e.weights()) : CaffeImporter.weightsFor(p);
      if (size >= 0 && p.toString().endsWith(".prototxt") && Files.isRegularFile(weights)) {
        size += Files.size(weights);
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    // Content decides; a manifest's declared format only names what an unrecognizable file was
    // meant to be.
    String format = sniff(p);
    if (format.equals(ModelRef.UNKNOWN_FORMAT) && e.format() != null) {
      format = e.format().toLowerCase(Locale.ROOT);
    }
    return new ModelRef(name, p.toString(), format, e.tags(), shapes, size,
        e.weights() == null ? "" : e.weights());
  }

  /**
   * A model on another filesystem (a manifest row naming one, or a file of a zoo folder there):
   * its size from the filesystem, its format and its oracle-args sidecar ({@code
   * NAME.oracle.args}, shapes the manifest does not set) from a local copy, which the Direct
   * runner's workers then reuse.
   */
  private static ModelRef remoteRef(Manifest.Entry e, String name) {
    long size = Storage.size(e.path());
    Path copy = size < 0 ? null
        : Storage.localCopy(e.path(), c -> List.of(c.getFileName() + ".oracle.args"));
    String format = copy == null ? ModelRef.UNKNOWN_FORMAT : sniff(copy);
    if (format.equals(ModelRef.UNKNOWN_FORMAT) && e.format() != null) {
      format = e.format().toLowerCase(Locale.ROOT);
    }
    Map<String, List<Long>> shapes =
        new LinkedHashMap<>(copy == null ? Map.of() : ShapeSpec.oracleArgsBeside(copy));
    shapes.putAll(e.inputShapes());
    return new ModelRef(name, e.path(), format, e.tags(), shapes, size,
        e.weights() == null ? "" : e.weights());
  }

  /** {@code path} relative to folder {@code base}, with '/' separators. */
  private static String relative(String base, String path) {
    Optional<Path> b = Storage.localPath(base);
    Optional<Path> p = Storage.localPath(path);
    if (b.isPresent() && p.isPresent()) {
      return b.get().normalize().relativize(p.get().normalize()).toString().replace('\\', '/');
    }
    String dir = Storage.dir(base, "");
    return path.startsWith(dir) ? path.substring(dir.length()) : Storage.fileName(path);
  }

  /** A {@link ModelFormat} extension or {@link ModelRef#UNKNOWN_FORMAT}, from the file's content. */
  static String sniff(Path p) {
    if (!Files.isRegularFile(p)) {
      return ModelRef.UNKNOWN_FORMAT;
    }
    try {
      return ModelFormat.sniff(p).extension();
    } catch (InvalidModelException e) {
      return ModelRef.UNKNOWN_FORMAT;
    }
  }

  private static List<Manifest.Entry> scan(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> isModelFile(dir, p))
          .sorted()
          .map(p -> new Manifest.Entry(p.toString(), null, null, List.of(), Map.of()))
          .toList();
    } catch (IOException e) {
      throw new ConvoyException(dir + ": cannot list zoo folder (" + e.getMessage() + ")", e);
    }
  }

  private static boolean isModelFile(Path root, Path p) {
    return isModelFile(root.relativize(p).toString().replace('\\', '/'),
        () -> Files.isRegularFile(CaffeImporter.definitionFor(p)), () -> sniff(p));
  }

  /**
   * Whether file {@code rel} (its path under the zoo folder) is a model: hidden files and
   * reference folders are not; a model extension is; a caffemodel is when {@code hasDefinition}
   * says no prototxt of its stem is beside it; else its {@code content} (a format or {@link
   * ModelRef#UNKNOWN_FORMAT}, read only when the name does not decide) tells.
   */
  private static boolean isModelFile(String rel, BooleanSupplier hasDefinition,
      Supplier<String> content) {
    for (String part : rel.split("/")) {
      if (part.startsWith(".") || part.endsWith(".ref")) {
        return false;
      }
    }
    String ext = extension(rel);
    if (MODEL_EXTENSIONS.contains(ext)) {
      return true;
    }
    if (ext.equals("caffemodel") && hasDefinition.getAsBoolean()) {
      return false;
    }
    if (ext.equals("pb")) {
      return content.get().equals(ModelFormat.TF.extension());
    }
    return !SIDECAR_EXTENSIONS.contains(ext) && !content.get().equals(ModelRef.UNKNOWN_FORMAT);
  }

  private static String extension(String path) {
    String n = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    return dot < 0 ? "" : n.substring(dot + 1);
  }

  private static String stem(String fileName) {
    String n = fileName;
    int dot = n.lastIndexOf('.');
    return dot <= 0 ? n : n.substring(0, dot);
  }
}

package dev.convoy.pipeline.stage;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Artifact;
import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Writes each finished model as {@code artifacts/<sha256 of the bytes>.<cvy|onnx>} (the same
 * graph always gives the same name, and identical results share one file) and its report as
 * {@code artifacts/<model>.report.json}. When {@link #mirroring} a zoo, each model is also found
 * where a person would look, in the zoo's own tree: {@code models/<path in the zoo>/<name>.<level>
 * .<cvy|onnx>} (a hard link to the artifact where the file system allows, else a copy) with its
 * report beside it as {@code <name>.<level>.report.json}.
 */
public final class WriteArtifacts extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> WRITTEN = new TupleTag<>("written") {};

  private final BlobStore store;
  private final String dir;
  private final String target;
  private final String level;
  private final Mirror mirror;

  private WriteArtifacts(BlobStore store, String dir, String target, String level, Mirror mirror) {
    super("WriteArtifacts(" + target + ")");
    this.store = store;
    this.dir = dir;
    this.target = target;
    this.level = level;
    this.mirror = mirror;
  }

  /** Where the zoo's tree is mirrored: the zoo's root folder and the {@code models} folder. */
  record Mirror(String zooRoot, String models) implements java.io.Serializable {
    /** The mirror path of {@code model} (a file under the zoo root, else its name alone). */
    Path place(String model, String level, String target, String suffix) {
      Path src = Path.of(model).toAbsolutePath().normalize();
      Path root = Path.of(zooRoot);
      Path rel = src.startsWith(root) ? root.relativize(src) : src.getFileName();
      String file = rel.getFileName().toString();
      String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
      Path folder = rel.getParent() == null ? Path.of(models) : Path.of(models).resolve(rel.getParent());
      return folder.resolve(stem + "." + level + "." + (suffix != null ? suffix : target));
    }
  }

  /**
   * Also mirrors the zoo's tree under {@code models}: {@code zoo} is the zoo folder, or a manifest
   * whose folder is the root that paths are relative to.
   */
  public WriteArtifacts mirroring(Path zoo, Path models) {
    Path z = zoo.toAbsolutePath().normalize();
    Path root = Files.isDirectory(z) || z.getParent() == null ? z : z.getParent();
    return new WriteArtifacts(store, dir, target, level,
        new Mirror(root.toString(), models.toAbsolutePath().toString()));
  }

  /** Artifacts in {@code target} format ({@code cvy} or {@code onnx}) under {@code dir}. */
  public static WriteArtifacts to(Path dir, String target, String level, Path blobs) {
    if (!target.equals("cvy") && !target.equals("onnx")) {
      throw new IllegalArgumentException("target must be cvy or onnx: " + target);
    }
    return new WriteArtifacts(new BlobStore(blobs), dir.toAbsolutePath().toString(), target, level,
        null);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Write", new WriteFn(store, dir, target, level, mirror), WRITTEN,
        Stages.RUN_CODER);
  }

  /** A file-name-safe form of a model name (names may hold '/' for nested zoo folders). */
  static String safeName(String model) {
    return model.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  static final class WriteFn extends StageFn<ModelRun, ModelRun> {
    private final BlobStore store;
    private final String dir;
    private final String target;
    private final String level;
    private final Mirror mirror;
    private final Counter written = Metrics.counter(Stages.NAMESPACE, Stages.DONE_COUNTER);
    private final Counter nodes = Metrics.counter(Stages.NAMESPACE, Stages.NODES_COUNTER);

    WriteFn(BlobStore store, String dir, String target, String level, Mirror mirror) {
      super(Stage.WRITE, WRITTEN);
      this.store = store;
      this.dir = dir;
      this.target = target;
      this.level = level;
      this.mirror = mirror;
    }

    @Override
    ModelRun apply(ModelRun run) throws Exception {
      long t0 = System.nanoTime();
      Graph g = store.get(run.graphBlob());
      Path out = Path.of(dir);
      Files.createDirectories(out);
      Path tmp = Files.createTempFile(out, ".artifact-", ".tmp");
      Models.save(g, tmp, ModelFormat.parse(target));
      long size = Files.size(tmp);
      String file = BlobStore.sha256(tmp) + "." + target;
      Path artifact = out.resolve(file);
      if (Files.exists(artifact)) {
        Files.delete(tmp);
      } else {
        BlobStore.moveIntoPlace(tmp, artifact);
      }
      String report = safeName(run.name()) + ".report.json";
      ModelRun done = run.withArtifact(new Artifact(file, target, size, report))
          .withTime(Stage.WRITE, System.nanoTime() - t0);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("model", done.name());
      json.put("source", done.ref().path());
      json.put("level", level);
      json.put("artifact", file);
      json.put("artifactBytes", size);
      json.put("run", done);
      Path reportTmp = Files.createTempFile(out, ".report-", ".tmp");
      JsonCoder.mapper().writerWithDefaultPrettyPrinter().writeValue(reportTmp.toFile(), json);
      Files.move(reportTmp, out.resolve(report), StandardCopyOption.REPLACE_EXISTING);
      if (mirror != null) {
        mirrorInto(artifact, out.resolve(report), done.ref().path());
      }
      written.inc();
      nodes.inc(done.before().nodes());
      return done;
    }

    private void mirrorInto(Path artifact, Path report, String source) throws IOException {
      Path model = mirror.place(source, level, target, null);
      Files.createDirectories(model.getParent());
      Path tmp = Files.createTempFile(model.getParent(), ".mirror-", ".tmp");
      Files.delete(tmp);
      try {
        Files.createLink(tmp, artifact);
      } catch (IOException | UnsupportedOperationException e) {
        Files.copy(artifact, tmp);
      }
      Files.move(tmp, model, StandardCopyOption.REPLACE_EXISTING);
      Files.copy(report, mirror.place(source, level, target, "report.json"),
          StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

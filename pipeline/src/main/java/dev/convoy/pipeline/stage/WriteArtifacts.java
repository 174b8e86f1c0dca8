package dev.convoy.pipeline.stage;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Artifact;
import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import java.nio.file.Path;
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
 * .<cvy|onnx>} (a hard link to the artifact where the filesystem allows, else a copy) with its
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
    Mirror {
      zooRoot = Storage.dir(zooRoot, "");
    }

    /**
     * The mirror location of {@code model} (a file under the zoo root, else its name alone),
     * with {@code suffix} (else the target) as its extension.
     */
    String place(String model, String level, String target, String suffix) {
      String rel = model.startsWith(zooRoot) ? model.substring(zooRoot.length())
          : Storage.fileName(model);
      String file = rel.substring(rel.lastIndexOf('/') + 1);
      String folder = rel.substring(0, rel.lastIndexOf('/') + 1);
      String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
      return Storage.file(models,
          folder + stem + "." + level + "." + (suffix != null ? suffix : target));
    }
  }

  /**
   * Also mirrors the zoo's tree under location {@code models}: {@code zooRoot} is the folder that
   * model paths are relative to (the zoo folder, or a manifest's folder).
   */
  public WriteArtifacts mirroring(String zooRoot, String models) {
    return new WriteArtifacts(store, dir, target, level,
        new Mirror(zooRoot, Storage.dir(models, "")));
  }

  /** Artifacts in {@code target} format ({@code cvy} or {@code onnx}) under location {@code dir}. */
  public static WriteArtifacts to(String dir, String target, String level, String blobs) {
    if (!target.equals("cvy") && !target.equals("onnx")) {
      throw new IllegalArgumentException("target must be cvy or onnx: " + target);
    }
    return new WriteArtifacts(new BlobStore(blobs), Storage.dir(dir, ""), target, level, null);
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
      Path tmp = Storage.localTempIn(dir, ".artifact-", ".tmp");
      Models.save(g, tmp, ModelFormat.parse(target));
      long size = Storage.size(Storage.of(tmp));
      String file = BlobStore.sha256(tmp) + "." + target;
      // An ONNX artifact's external data keeps the name its model refers to.
      Path sidecar = tmp.resolveSibling(tmp.getFileName() + ".data");
      if (Storage.size(Storage.of(sidecar)) >= 0) {
        Storage.publish(sidecar, Storage.file(dir, sidecar.getFileName().toString()), false);
      }
      String artifact = Storage.file(dir, file);
      Storage.publish(tmp, artifact, true);
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
      String text = JsonCoder.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(json);
      Storage.writeString(Storage.file(dir, report), text);
      if (mirror != null) {
        String source = done.ref().path();
        Storage.copy(artifact, mirror.place(source, level, target, null));
        Storage.writeString(mirror.place(source, level, target, "report.json"), text);
      }
      written.inc();
      nodes.inc(done.before().nodes());
      return done;
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

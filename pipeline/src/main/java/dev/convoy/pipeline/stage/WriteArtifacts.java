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
 * {@code artifacts/<model>.report.json}.
 */
public final class WriteArtifacts extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> WRITTEN = new TupleTag<>("written") {};

  private final BlobStore store;
  private final String dir;
  private final String target;
  private final String level;

  private WriteArtifacts(BlobStore store, Path dir, String target, String level) {
    super("WriteArtifacts(" + target + ")");
    this.store = store;
    this.dir = dir.toAbsolutePath().toString();
    this.target = target;
    this.level = level;
  }

  /** Artifacts in {@code target} format ({@code cvy} or {@code onnx}) under {@code dir}. */
  public static WriteArtifacts to(Path dir, String target, String level, Path blobs) {
    if (!target.equals("cvy") && !target.equals("onnx")) {
      throw new IllegalArgumentException("target must be cvy or onnx: " + target);
    }
    return new WriteArtifacts(new BlobStore(blobs), dir, target, level);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Write", new WriteFn(store, dir, target, level), WRITTEN,
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
    private final Counter written = Metrics.counter(Stages.NAMESPACE, Stages.DONE_COUNTER);
    private final Counter nodes = Metrics.counter(Stages.NAMESPACE, Stages.NODES_COUNTER);

    WriteFn(BlobStore store, String dir, String target, String level) {
      super(Stage.WRITE, WRITTEN);
      this.store = store;
      this.dir = dir;
      this.target = target;
      this.level = level;
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

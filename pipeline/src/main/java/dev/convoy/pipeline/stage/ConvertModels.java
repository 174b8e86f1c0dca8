package dev.convoy.pipeline.stage;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.GraphStats;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelFiles;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.Models;
import java.nio.file.Path;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Imports each model with the importer for its sniffed format and puts the graph into the blob
 * store: {@link ModelRef} in, {@link ModelRun} on {@link #CONVERTED}, unreadable files on {@link
 * Stages#FAILURES}.
 */
public final class ConvertModels extends Stages.Composite<ModelRef> {
  public static final TupleTag<ModelRun> CONVERTED = new TupleTag<>("converted") {};

  private final BlobStore store;

  private ConvertModels(BlobStore store) {
    super("ConvertModels");
    this.store = store;
  }

  /** Converts into the blob store at location {@code blobs}. */
  public static ConvertModels into(String blobs) {
    return new ConvertModels(new BlobStore(blobs));
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRef> input) {
    return Stages.apply(input, "Import", new ConvertFn(store), CONVERTED, Stages.RUN_CODER);
  }

  static final class ConvertFn extends StageFn<ModelRef, ModelRun> {
    private final BlobStore store;

    ConvertFn(BlobStore store) {
      super(Stage.CONVERT, CONVERTED);
      this.store = store;
    }

    @Override
    ModelRun apply(ModelRef ref) throws StageFailure {
      long t0 = System.nanoTime();
      // A model on another filesystem is copied to this worker first (then memory-mapped).
      Path path = ModelFiles.local(ref.path());
      // The format is sniffed again on the worker: its error names the file and what it holds.
      // Loading checks the model (structure, domains, ops) before any stage sees it.
      Graph g;
      try {
        g = ref.weights().isEmpty() ? Models.load(path)
            : Models.load(path, Storage.localCopy(ref.weights()));
      } catch (RuntimeException e) {
        if (Storage.isLocal(ref.path())) {
          throw e;
        }
        // The error names the worker's copy; the user knows the model by its location.
        Failure f = Failure.of(ref.name(), ref.path(), Stage.CONVERT.label(), e);
        throw new StageFailure(new Failure(f.model(), f.path(), f.stage(), f.errorClass(),
            f.message().replace(path.toString(), ref.path())));
      }
      String blob = store.put(g);
      return ModelRun.converted(ref, blob, GraphStats.of(g), System.nanoTime() - t0);
    }

    @Override
    ModelRef modelOf(ModelRef in) {
      return in;
    }
  }
}

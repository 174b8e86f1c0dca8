package dev.convoy.pipeline.run;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.stage.ConvertModels;
import dev.convoy.pipeline.stage.MeasureLatency;
import dev.convoy.pipeline.stage.OptimizeSubgraphs;
import dev.convoy.pipeline.stage.PartitionGraphs;
import dev.convoy.pipeline.stage.PlanMemory;
import dev.convoy.pipeline.stage.Stages;
import dev.convoy.pipeline.stage.StitchGraphs;
import dev.convoy.pipeline.stage.VerifyModels;
import dev.convoy.pipeline.stage.WriteArtifacts;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.warehouse.WriteWarehouse;
import dev.convoy.pipeline.zoo.ZooIO;
import dev.convoy.transforms.optimize.Level;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * The path of a model, as a Beam graph: read the zoo, convert, partition, optimize the pieces,
 * stitch, plan memory (O3), verify, write artifacts, time original and result, and write every
 * stage's rows and failures into the warehouse.
 */
public final class ZooPipeline {
  private ZooPipeline() {}

  /**
   * Adds the whole run to {@code p}, writing blobs, artifacts and warehouse rows under location
   * {@code out} (the run's staging folder).
   */
  static void build(Pipeline p, RunConfig cfg, String out) {
    String blobs = Storage.dir(out, "blobs");
    PCollectionTuple converted = p.apply(ZooIO.read(cfg.zoo())).apply(ConvertModels.into(blobs));
    PCollectionTuple pieces = converted.get(ConvertModels.CONVERTED)
        .apply(PartitionGraphs.above(cfg.partitionThreshold(), blobs));
    PCollectionTuple stitched = pieces.get(PartitionGraphs.PIECES)
        .apply(OptimizeSubgraphs.with(cfg.optimizeSettings(), blobs))
        .apply(StitchGraphs.with(cfg.optimizeSettings(), blobs));
    PCollection<ModelRun> optimized = stitched.get(StitchGraphs.STITCHED);
    PCollectionList<Failure> failures = PCollectionList.of(converted.get(Stages.FAILURES))
        .and(pieces.get(Stages.FAILURES))
        .and(stitched.get(Stages.FAILURES));
    if (cfg.level() == Level.O3) {
      PCollectionTuple planned = optimized.apply(PlanMemory.from(blobs));
      optimized = planned.get(PlanMemory.PLANNED);
      failures = failures.and(planned.get(Stages.FAILURES));
    }
    PCollectionTuple verified = optimized.apply(
        VerifyModels.onSeededInputs(blobs, cfg.optimizeSettings(), cfg.artifactFormat()));
    PCollectionTuple written = verified.get(VerifyModels.VERIFIED)
        .apply(WriteArtifacts.to(Storage.dir(out, "artifacts"), cfg.target(), cfg.level().name(),
            blobs).mirroring(ZooIO.root(cfg.zoo()), Storage.dir(out, "models")));
    PCollectionList<Failure> late = failures
        .and(verified.get(Stages.FAILURES))
        .and(written.get(Stages.FAILURES));
    PCollection<ModelRun> done = written.get(WriteArtifacts.WRITTEN);
    if (cfg.latencyRuns() > 0) {
      PCollectionTuple timed =
          done.apply(MeasureLatency.medianOf(cfg.latencyRuns(), cfg.target(), blobs));
      done = timed.get(MeasureLatency.MEASURED);
      late = late.and(timed.get(Stages.FAILURES));
    }
    PCollection<Failure> allFailures = late.apply("All failures", Flatten.pCollections());
    PCollectionTuple.of(WriteWarehouse.MODELS, done)
        .and(WriteWarehouse.FAILURES, allFailures)
        .apply(WriteWarehouse.to(Storage.dir(out, "warehouse"), Storage.dir(out, "tmp"),
            cfg.runId(), cfg.level().name(), cfg.target()));
    done.apply("Progress ok", ParDo.of(new ProgressFn.Done(cfg.runId())));
    allFailures.apply("Progress failed", ParDo.of(new ProgressFn.Failed(cfg.runId())));
  }
}

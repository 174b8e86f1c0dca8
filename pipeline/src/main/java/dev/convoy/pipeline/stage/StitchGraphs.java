package dev.convoy.pipeline.stage;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.GraphStats;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.PassRow;
import dev.convoy.pipeline.element.Piece;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.layout.ConvertToNhwc;
import dev.convoy.transforms.partition.GraphStitcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Gathers each model's optimized pieces and puts them back into one graph ({@link
 * GraphStitcher}), then runs the boundary pass: the level's optimizer over the stitched graph,
 * which applies the rules the cuts kept apart (its pass stats are piece -1), all but the layout
 * pass, which the pieces ran (its Transposes at the cuts cancel here; {@code --io-layout nhwc}
 * makes the whole model's interface NHWC here, never a piece's). A single-piece model
 * passes through. A model with a failed piece goes to {@link Stages#FAILURES} once, at stage
 * {@code optimize}.
 */
public final class StitchGraphs extends PTransform<PCollection<Piece>, PCollectionTuple> {
  public static final TupleTag<ModelRun> STITCHED = new TupleTag<>("stitched") {};

  private final BlobStore store;
  private final OptimizeSettings settings;

  private StitchGraphs(BlobStore store, OptimizeSettings settings) {
    super("StitchGraphs");
    this.store = store;
    this.settings = settings;
  }

  public static StitchGraphs atLevel(Level level, String blobs) {
    return with(OptimizeSettings.atLevel(level), blobs);
  }

  /** Stitching with the boundary pass run as {@code settings} say. */
  public static StitchGraphs with(OptimizeSettings settings, String blobs) {
    return new StitchGraphs(new BlobStore(blobs), settings);
  }

  @Override
  public PCollectionTuple expand(PCollection<Piece> input) {
    PCollection<KV<String, Iterable<Piece>>> grouped = input
        .apply("By model", WithKeys.of((Piece p) -> p.run().name())
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Stages.PIECE_CODER))
        .apply("Gather pieces", GroupByKey.create());
    return Stages.apply(grouped, "Stitch", new StitchFn(store, settings), STITCHED, Stages.RUN_CODER);
  }

  static final class StitchFn extends StageFn<KV<String, Iterable<Piece>>, ModelRun> {
    private final BlobStore store;
    private final OptimizeSettings settings;
    private final Counter optimizeMs = Metrics.counter(Stages.NAMESPACE, Stages.OPTIMIZE_MS_COUNTER);

    StitchFn(BlobStore store, OptimizeSettings settings) {
      super(Stage.STITCH, STITCHED);
      this.store = store;
      this.settings = settings;
    }

    @Override
    ModelRun apply(KV<String, Iterable<Piece>> in) throws Exception {
      List<Piece> pieces = new ArrayList<>();
      in.getValue().forEach(pieces::add);
      pieces.sort(Comparator.comparingInt(Piece::index));
      Piece first = pieces.get(0);
      ModelRun run = first.run();
      for (Piece p : pieces) {
        if (p.failed()) {
          throw new StageFailure(new Failure(run.name(), run.ref().path(), Stage.OPTIMIZE.label(),
              p.errorClass(), (p.count() == 1 ? "" : "piece " + p.index() + " of " + p.count() + ": ")
                  + p.errorMessage()));
        }
      }
      if (pieces.size() != first.count()) {
        throw new ConvoyException(run.name() + ": " + pieces.size() + " of " + first.count()
            + " pieces arrived for stitching");
      }
      List<PassRow> passes = new ArrayList<>();
      long optimizeNanos = 0;
      for (Piece p : pieces) {
        passes.addAll(p.passes());
        optimizeNanos += p.nanos();
      }
      run = run.withTime(Stage.OPTIMIZE, optimizeNanos);
      if (pieces.size() == 1) {
        Graph g = store.get(first.blob());
        return run.withGraph(first.blob(), GraphStats.of(g), 1, passes);
      }
      long t0 = System.nanoTime();
      List<Graph> graphs = new ArrayList<>();
      for (Piece p : pieces) {
        graphs.add(store.get(p.blob()));
      }
      Graph stitched = GraphStitcher.stitch(store.get(run.graphBlob()), graphs);
      long tBoundary = System.nanoTime();
      // Every piece went through the layout pass: converting again would read the standard
      // Resize it left on NHWC data as NCHW (correct, but two more Transposes each).
      OptimizeResult boundary =
          OptimizeSubgraphs.optimize(stitched, settings.without(ConvertToNhwc.NAME));
      optimizeMs.inc((System.nanoTime() - tBoundary) / 1_000_000);
      boundary.stats().forEach(s -> passes.add(PassRow.of(s, -1)));
      String blob = store.put(boundary.graph());
      return run.withGraph(blob, GraphStats.of(boundary.graph()), pieces.size(), passes)
          .withTime(Stage.STITCH, System.nanoTime() - t0);
    }

    @Override
    dev.convoy.pipeline.zoo.ModelRef modelOf(KV<String, Iterable<Piece>> in) {
      return in.getValue().iterator().next().run().ref();
    }
  }
}

package dev.convoy.pipeline.stage;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.PassRow;
import dev.convoy.pipeline.element.Piece;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.layout.NhwcIo;
import dev.convoy.transforms.optimize.Optimizer;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;

/**
 * Runs the level's pass pipeline on every piece, spread over the workers (the pieces of one large
 * model are redistributed first, so they are optimized in parallel). A piece whose optimization
 * throws comes out marked failed rather than on a failures output: {@link StitchGraphs} then
 * reports its model once, however many of its pieces failed.
 */
public final class OptimizeSubgraphs extends PTransform<PCollection<Piece>, PCollection<Piece>> {
  private final BlobStore store;
  private final OptimizeSettings settings;

  private OptimizeSubgraphs(BlobStore store, OptimizeSettings settings) {
    super("OptimizeSubgraphs(" + settings.level() + ")");
    this.store = store;
    this.settings = settings;
  }

  public static OptimizeSubgraphs atLevel(Level level, String blobs) {
    return with(OptimizeSettings.atLevel(level), blobs);
  }

  /** The level's pipeline with the rule switches of {@code settings}. */
  public static OptimizeSubgraphs with(OptimizeSettings settings, String blobs) {
    return new OptimizeSubgraphs(new BlobStore(blobs), settings);
  }

  @Override
  public PCollection<Piece> expand(PCollection<Piece> input) {
    return input
        .apply("Spread pieces", Reshuffle.viaRandomKey())
        .apply("Optimize", ParDo.of(new OptimizeFn(store, settings)))
        .setCoder(Stages.PIECE_CODER);
  }

  /** The optimizer on one graph, as every stage calls it. */
  static OptimizeResult optimize(Graph g, OptimizeSettings settings) {
    return Optimizer.optimize(g, settings.options(Map.of(), false));
  }

  static final class OptimizeFn extends DoFn<Piece, Piece> {
    private final BlobStore store;
    private final OptimizeSettings settings;
    private final Counter optimizeMs = Metrics.counter(Stages.NAMESPACE, Stages.OPTIMIZE_MS_COUNTER);

    OptimizeFn(BlobStore store, OptimizeSettings settings) {
      this.store = store;
      this.settings = settings;
    }

    @ProcessElement
    public void process(@Element Piece piece, OutputReceiver<Piece> out) {
      long t0 = System.nanoTime();
      try {
        // A piece's inputs are cuts, not the model's: the NHWC interface is made after stitching.
        OptimizeSettings forPiece = piece.count() > 1 && settings.enable().contains(NhwcIo.NAME)
            ? settings.withEnable(NhwcIo.NAME, false) : settings;
        OptimizeResult r = optimize(store.get(piece.blob()), forPiece);
        String blob = store.put(r.graph());
        long took = System.nanoTime() - t0;
        optimizeMs.inc(took / 1_000_000);
        List<PassRow> passes = r.stats().stream().map(s -> PassRow.of(s, piece.index())).toList();
        out.output(piece.optimized(blob, took, passes));
      } catch (Exception | StackOverflowError e) {
        out.output(piece.failedWith(e, System.nanoTime() - t0));
      }
    }
  }
}

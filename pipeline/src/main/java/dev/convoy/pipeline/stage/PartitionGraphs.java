package dev.convoy.pipeline.stage;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Piece;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.partition.GraphPartitioner;
import dev.convoy.transforms.partition.Partition;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Splits each graph above a node threshold into K pieces along its execution order (explicit
 * boundary values, see {@link GraphPartitioner}); a graph at or under it is one piece and is not
 * even read. Pieces go to {@link #PIECES}.
 */
public final class PartitionGraphs extends Stages.Composite<ModelRun> {
  public static final TupleTag<Piece> PIECES = new TupleTag<>("pieces") {};

  private final BlobStore store;
  private final int threshold;

  private PartitionGraphs(BlobStore store, int threshold) {
    super("PartitionGraphs(>" + threshold + " nodes)");
    this.store = store;
    this.threshold = threshold;
  }

  /** Pieces of at most about {@code maxNodes} nodes each, stored in {@code blobs}. */
  public static PartitionGraphs above(int maxNodes, String blobs) {
    if (maxNodes <= 0) {
      throw new IllegalArgumentException("partition threshold must be positive: " + maxNodes);
    }
    return new PartitionGraphs(new BlobStore(blobs), maxNodes);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Split", new SplitFn(store, threshold), PIECES, Stages.PIECE_CODER);
  }

  static final class SplitFn extends DoFn<ModelRun, Piece> {
    private final BlobStore store;
    private final int threshold;
    private final Counter failures = Metrics.counter(Stages.NAMESPACE, Stages.FAILED_COUNTER);

    SplitFn(BlobStore store, int threshold) {
      this.store = store;
      this.threshold = threshold;
    }

    @ProcessElement
    public void process(@Element ModelRun run, MultiOutputReceiver out) {
      if (run.before().nodes() <= threshold) {
        out.get(PIECES).output(Piece.of(run, 0, 1, run.graphBlob()));
        return;
      }
      long t0 = System.nanoTime();
      Partition p;
      List<String> blobs = new ArrayList<>();
      try {
        Graph g = store.get(run.graphBlob());
        p = GraphPartitioner.split(g, threshold);
        for (Graph piece : p.pieces()) {
          blobs.add(store.put(piece));
        }
      } catch (Exception e) {
        ModelRef ref = run.ref();
        failures.inc();
        out.get(Stages.FAILURES).output(Failure.of(ref.name(), ref.path(),
            Stage.PARTITION.label(), e));
        return;
      }
      ModelRun timed = run.withTime(Stage.PARTITION, System.nanoTime() - t0);
      for (int i = 0; i < blobs.size(); i++) {
        out.get(PIECES).output(Piece.of(timed, i, blobs.size(), blobs.get(i)));
      }
    }
  }
}

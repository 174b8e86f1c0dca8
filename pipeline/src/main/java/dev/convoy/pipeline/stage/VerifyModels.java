package dev.convoy.pipeline.stage;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.element.Verification;
import dev.convoy.pipeline.zoo.ModelFiles;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.verify.Judgement;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Oracle;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.Verdict;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Runs each model's original and its optimized result on the same seeded inputs (shapes from the
 * model's oracle args or manifest) and records max abs/rel error, cosine and pass/fail, with the
 * runtimes {@link Oracle} chooses (as {@code optimize --verify} does): an ONNX original in ONNX
 * Runtime, any other source (TFLite, ...) as its imported graph in Convoy's evaluator, also checked
 * against {@code NAME.ref/} beside the model when present; the result in the runtime of the
 * artifact format ({@code .cvy}, which may hold Convoy's own ops: the evaluator; ONNX: ONNX
 * Runtime). A mismatch is a result (a failing {@code verifications} row), not a failure; a model
 * the oracle cannot run (an op it lacks) is a failure. A mismatch is explained as {@link Judgement}
 * says: runtime drift when the result's runtime already differs as much from the reference's on
 * the original itself, else the first diverging node (node by node in Convoy's evaluator), the
 * rule or pass that introduced it (the original optimized again, whole, in verify-each-pass mode),
 * and a drift verdict for one quantization step on agreeing float inputs. Neither drift counts as
 * a mismatch; both are counted and written as the row's verdict.
 */
public final class VerifyModels extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> VERIFIED = new TupleTag<>("verified") {};
  private final BlobStore store;
  private final OptimizeSettings settings;
  private final ModelFormat artifact;

  private VerifyModels(BlobStore store, OptimizeSettings settings, ModelFormat artifact) {
    super("VerifyModels(" + artifact.extension() + ")");
    this.store = store;
    this.settings = settings;
    this.artifact = artifact;
  }

  /**
   * Verification on seeded inputs, graphs read from {@code blobs}; {@code settings} are what the
   * models were optimized with (the bisect of a mismatch repeats them), {@code artifact} the
   * format they will be written in.
   */
  public static VerifyModels onSeededInputs(String blobs, OptimizeSettings settings,
      ModelFormat artifact) {
    return new VerifyModels(new BlobStore(blobs), settings, artifact);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Compare with the original",
        new VerifyFn(store, settings, artifact), VERIFIED, Stages.RUN_CODER);
  }

  static final class VerifyFn extends StageFn<ModelRun, ModelRun> {
    private final BlobStore store;
    private final OptimizeSettings settings;
    private final ModelFormat artifact;
    private transient OrtVerifier verifier;
    private transient Evaluator evaluator;
    private final Counter mismatches = Metrics.counter(Stages.NAMESPACE, Stages.MISMATCH_COUNTER);
    private final Counter drifts = Metrics.counter(Stages.NAMESPACE, Stages.DRIFT_COUNTER);

    VerifyFn(BlobStore store, OptimizeSettings settings, ModelFormat artifact) {
      super(Stage.VERIFY, VERIFIED);
      this.store = store;
      this.settings = settings;
      this.artifact = artifact;
    }

    @Setup
    public void setup() {
      verifier = new OrtVerifier();
      // One kernel thread: the runner's workers already take one core each (one model each).
      evaluator = new Evaluator(OpCatalog.standard(), Parallel.serial());
    }

    @Teardown
    public void teardown() {
      if (verifier != null) {
        verifier.close();
      }
    }

    @Override
    ModelRun apply(ModelRun run) throws Exception {
      long t0 = System.nanoTime();
      Graph source = store.get(run.sourceBlob());
      Map<String, Tensor> inputs = SeededInputs.generate(source, run.ref().inputShapeArrays());
      Graph result = store.get(run.graphBlob());
      // The original runs from its path, so weights in external-data files beside it load too.
      Path original = ModelFiles.local(run.ref().path());
      Oracle oracle = Oracle.choose(ModelFormat.sniff(original), artifact);
      Map<String, long[]> shapes = run.ref().inputShapeArrays();
      Judgement j = ModelVerification.judge(oracle, original, source, result, inputs, verifier,
          evaluator, () -> PassBisect.culprit(source, settings.options(shapes, true), shapes));
      OrtVerifier.Verification v = j.outputs();
      String detail = v.firstFailure();
      if (!j.accepted()) {
        mismatches.inc();
      } else if (j.verdict() != Verdict.PASS) {
        drifts.inc();
      }
      return run.withVerification(
              new Verification(oracle.label(), v.maxAbsError(), v.maxRelError(),
                  v.minCosine(), j.accepted(), detail == null ? "" : detail, j.verdict().label(),
                  j.where(), j.culprit() == null ? "" : j.culprit()))
          .withTime(Stage.VERIFY, System.nanoTime() - t0);
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

package dev.convoy.pipeline.stage;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.element.Verification;
import dev.convoy.pipeline.zoo.ModelFiles;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.verify.Judgement;
import dev.convoy.transforms.verify.NodeByNode;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Runs each model's original and its optimized result on the same seeded inputs (shapes from the
 * model's oracle args or manifest) and records max abs/rel error, cosine and pass/fail. An ONNX
 * original runs in ONNX Runtime; any other source (TFLite, ...) is its imported graph in Convoy's
 * evaluator, and the result is also checked against {@code NAME.ref/} beside the model when present
 * (oracle {@value #CONVOY_ORACLE}). A mismatch is a result (a failing {@code verifications} row),
 * not a failure; a model the oracle cannot run (an op it lacks) is a failure. A mismatch is
 * explained as {@link Judgement} says: the first diverging node (node by node in Convoy's
 * evaluator), the rule or pass that introduced it (the original optimized again, whole, in
 * verify-each-pass mode), and a drift verdict for one quantization step on agreeing float inputs,
 * which does not count as a mismatch.
 */
public final class VerifyModels extends Stages.Composite<ModelRun> {
  public static final TupleTag<ModelRun> VERIFIED = new TupleTag<>("verified") {};
  /** The {@code verifications.oracle} of a non-ONNX source. */
  public static final String CONVOY_ORACLE = "convoy-evaluator";

  private final BlobStore store;
  private final OptimizeSettings settings;

  private VerifyModels(BlobStore store, OptimizeSettings settings) {
    super("VerifyModels");
    this.store = store;
    this.settings = settings;
  }

  /**
   * Verification on seeded inputs, graphs read from {@code blobs}; {@code settings} are what the
   * models were optimized with (the bisect of a mismatch repeats them).
   */
  public static VerifyModels onSeededInputs(String blobs, OptimizeSettings settings) {
    return new VerifyModels(new BlobStore(blobs), settings);
  }

  @Override
  public PCollectionTuple expand(PCollection<ModelRun> input) {
    return Stages.apply(input, "Compare with ORT", new VerifyFn(store, settings), VERIFIED,
        Stages.RUN_CODER);
  }

  static final class VerifyFn extends StageFn<ModelRun, ModelRun> {
    private final BlobStore store;
    private final OptimizeSettings settings;
    private transient OrtVerifier verifier;
    private transient Evaluator evaluator;
    private final Counter mismatches = Metrics.counter(Stages.NAMESPACE, Stages.MISMATCH_COUNTER);

    VerifyFn(BlobStore store, OptimizeSettings settings) {
      super(Stage.VERIFY, VERIFIED);
      this.store = store;
      this.settings = settings;
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
      boolean onnx = run.ref().format().equals("onnx");
      OrtVerifier.Verification compared;
      if (onnx) {
        // The oracle runs the file as the user gave it (from its path, so weights in
        // external-data files beside it load too).
        Map<String, Tensor> expected = verifier.run(ModelFiles.local(run.ref().path()), inputs);
        Map<String, Tensor> actual = runOnOrt(result, inputs);
        compared = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
      } else {
        compared = ModelVerification.againstSource(ModelFiles.local(run.ref().path()), source, result,
            inputs, evaluator);
      }
      Map<String, long[]> shapes = run.ref().inputShapeArrays();
      Judgement j = Judgement.of(compared,
          () -> NodeByNode.locate(source, result, inputs, OrtVerifier.Tolerance.DEFAULT),
          () -> PassBisect.culprit(source, settings.options(shapes, true), shapes));
      OrtVerifier.Verification v = j.outputs();
      String detail = v.firstFailure();
      if (!j.accepted()) {
        mismatches.inc();
      }
      return run.withVerification(
              new Verification(onnx ? "ort" : CONVOY_ORACLE, v.maxAbsError(), v.maxRelError(),
                  v.minCosine(), j.accepted(), detail == null ? "" : detail, j.verdict().label(),
                  j.where(), j.culprit() == null ? "" : j.culprit()))
          .withTime(Stage.VERIFY, System.nanoTime() - t0);
    }

    /**
     * Runs {@code g} on ONNX Runtime: from bytes when it fits in one protobuf, else from a
     * local scratch file with external data beside it (weights never pass through the heap).
     */
    private Map<String, Tensor> runOnOrt(Graph g, Map<String, Tensor> inputs) throws IOException {
      if (OnnxExporter.fitsInOneProto(g)) {
        return verifier.run(OnnxExporter.toBytes(g), inputs);
      }
      Path file = Storage.scratchFile(".verify-", ".onnx");
      try {
        OnnxExporter.write(g, file);
        return verifier.run(file, inputs);
      } finally {
        Storage.deleteLocal(file, file.resolveSibling(file.getFileName() + ".data"));
      }
    }

    @Override
    ModelRef modelOf(ModelRun in) {
      return in.ref();
    }
  }
}

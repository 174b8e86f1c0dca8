package dev.convoy.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.memory.OffsetPlanner;
import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.blob.BlobStore;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.GraphStats;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Piece;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.pipeline.zoo.ZooIO;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.optimize.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each stage composite on its own, with exact contents: optest_conv_bn_relu (7 nodes, one piece),
 * light_inception_v1 (237 nodes, three pieces at threshold 100) and broken files.
 */
class StagesTest {
  @TempDir Path tmp;
  private String blobs;
  private Pipeline p;
  private ModelRef small;
  private ModelRef inception;

  @BeforeEach
  void setUp() {
    blobs = Storage.of(tmp.resolve("blobs"));
    p = Pipeline.create(PipelineOptionsFactory.create());
    var refs = ZooIO.list(Zoos.bundled());
    small = refs.stream().filter(r -> r.name().equals("optest_conv_bn_relu")).findFirst().get();
    inception = refs.stream().filter(r -> r.name().equals("light_inception_v1")).findFirst().get();
  }

  private ModelRun converted(ModelRef ref) throws Exception {
    return new ConvertModels.ConvertFn(new BlobStore(blobs)).apply(ref);
  }

  private ModelRef broken(String file) {
    return ZooIO.list(TestData.brokenModels().resolve(file)).get(0);
  }

  @Test
  void convertModelsEmitsOneRunPerModelAndOneFailurePerBrokenFile() {
    ModelRef empty = broken("empty.onnx");
    ModelRef text = broken("notonnx.onnx");
    PCollectionTuple out = p.apply(Create.of(small, empty, text).withCoder(refCoder()))
        .apply(ConvertModels.into(blobs));
    PAssert.that(names(out.get(ConvertModels.CONVERTED)))
        .containsInAnyOrder("optest_conv_bn_relu nodes=7 pieces=1");
    PAssert.that(out.get(Stages.FAILURES)).containsInAnyOrder(
        new Failure("empty", empty.path(), "convert", "InvalidModelException",
            empty.path() + ": empty file, not a model"),
        new Failure("notonnx", text.path(), "convert", "InvalidModelException",
            text.path() + ": unrecognized model format (not .cvy, TFLite FlatBuffer (identifier TFL3),"
                + " Caffe prototxt or caffemodel, TensorFlow GraphDef or ONNX protobuf)"));
    p.run().waitUntilFinish();
  }

  @Test
  void partitionGraphsSplitsOnlyGraphsAboveTheThreshold() throws Exception {
    PCollectionTuple out = p.apply(Create.of(converted(small), converted(inception))
            .withCoder(Stages.RUN_CODER))
        .apply(PartitionGraphs.above(100, blobs));
    PAssert.that(out.get(PartitionGraphs.PIECES).apply(MapElements.into(TypeDescriptors.strings())
            .via((Piece x) -> x.run().name() + " " + x.index() + "/" + x.count())))
        .containsInAnyOrder("optest_conv_bn_relu 0/1", "light_inception_v1 0/3",
            "light_inception_v1 1/3", "light_inception_v1 2/3");
    PAssert.that(out.get(Stages.FAILURES)).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void optimizedPiecesAreStitchedBackIntoOneModelEach() throws Exception {
    PCollectionTuple out = p.apply(Create.of(converted(small), converted(inception))
            .withCoder(Stages.RUN_CODER))
        .apply(PartitionGraphs.above(100, blobs))
        .get(PartitionGraphs.PIECES)
        .apply(OptimizeSubgraphs.atLevel(Level.O0, blobs))
        .apply(StitchGraphs.atLevel(Level.O0, blobs));
    PAssert.that(names(out.get(StitchGraphs.STITCHED))).containsInAnyOrder(
        "optest_conv_bn_relu nodes=7 pieces=1", "light_inception_v1 nodes=237 pieces=3");
    PAssert.that(out.get(Stages.FAILURES)).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void aModelWithFailedPiecesIsReportedOnce() throws Exception {
    ModelRun run = converted(inception);
    RuntimeException boom = new IllegalStateException("rule broke the graph");
    List<Piece> pieces = List.of(
        Piece.of(run, 0, 3, run.graphBlob()).failedWith(boom, 1),
        Piece.of(run, 1, 3, run.graphBlob()).failedWith(boom, 1),
        Piece.of(run, 2, 3, run.graphBlob()));
    PCollectionTuple out = p.apply(Create.of(pieces).withCoder(Stages.PIECE_CODER))
        .apply(StitchGraphs.atLevel(Level.O0, blobs));
    PAssert.that(out.get(StitchGraphs.STITCHED)).empty();
    PAssert.that(out.get(Stages.FAILURES)).containsInAnyOrder(new Failure("light_inception_v1",
        inception.path(), "optimize", "IllegalStateException",
        "piece 0 of 3: rule broke the graph"));
    p.run().waitUntilFinish();
  }

  @Test
  void planMemoryRecordsAnArenaBetweenLowerBoundAndNaiveSum() throws Exception {
    PCollection<ModelRun> out = p.apply(Create.of(converted(small)).withCoder(Stages.RUN_CODER))
        .apply(PlanMemory.from(blobs)).get(PlanMemory.PLANNED);
    PAssert.that(out).satisfies(runs -> {
      ModelRun r = runs.iterator().next();
      var m = r.memory();
      assertTrue(m.plannedTensors() > 0, "planned " + m);
      assertEquals(0, m.skippedTensors());
      assertTrue(m.lowerBoundBytes() <= m.arenaBytes() && m.arenaBytes() <= m.naiveBytes(),
          m.toString());
      assertTrue(m.planner().equals(OffsetPlanner.IN_ORDER) || m.planner().equals(
          OffsetPlanner.BY_SIZE) || m.planner().equals(OffsetPlanner.HILL_CLIMB), m.toString());
      return null;
    });
    p.run().waitUntilFinish();
  }

  /** As {@link #converted}, without the import checks (which refuse unknown domains). */
  private ModelRun importedUnchecked(ModelRef ref) {
    dev.convoy.ir.graph.Graph g =
        dev.convoy.transforms.convert.onnx.OnnxImporter.importFile(Path.of(ref.path()));
    return ModelRun.converted(ref, new BlobStore(blobs).put(g), GraphStats.of(g), 0);
  }

  @Test
  void verifyModelsPassesAnUnchangedModelAndFailsAnOpTheOracleLacks() throws Exception {
    ModelRef unknown = broken("unknown_op.onnx");
    PCollectionTuple out = p.apply(Create.of(converted(small), importedUnchecked(unknown))
            .withCoder(Stages.RUN_CODER))
        .apply(VerifyModels.onSeededInputs(blobs, OptimizeSettings.atLevel(Level.O1),
            ModelFormat.ONNX));
    PAssert.that(out.get(VerifyModels.VERIFIED).apply(MapElements.into(TypeDescriptors.strings())
            .via((ModelRun r) -> r.name() + " " + r.verification().passed() + " "
                + r.verification().maxAbsError())))
        .containsInAnyOrder("optest_conv_bn_relu true 0.0");
    PAssert.that(out.get(Stages.FAILURES).apply(MapElements.into(TypeDescriptors.strings())
            .via((Failure f) -> f.model() + " " + f.stage())))
        .containsInAnyOrder("unknown_op verify");
    p.run().waitUntilFinish();
  }

  @Test
  void aResultThatDisagreesWithItsOriginalIsAFailingVerificationNotAFailure() throws Exception {
    ModelRun run = converted(small);
    BlobStore store = new BlobStore(blobs);
    dev.convoy.ir.graph.Graph g = store.get(run.graphBlob());
    dev.convoy.ir.graph.Value w = g.initializers().get(0);
    w.replaceConstant(dev.convoy.ir.graph.Tensor.zeros(w.constant().dtype(), w.constant().dims()));
    ModelRun broken = run.withGraph(store.put(g), run.before(), 1, List.of());
    PCollectionTuple out = p.apply(Create.of(broken).withCoder(Stages.RUN_CODER))
        .apply(VerifyModels.onSeededInputs(blobs, OptimizeSettings.atLevel(Level.O1),
            ModelFormat.ONNX));
    PAssert.that(out.get(VerifyModels.VERIFIED).apply(MapElements.into(TypeDescriptors.strings())
            .via((ModelRun r) -> r.name() + " passed=" + r.verification().passed()
                + " detail=" + !r.verification().detail().isEmpty())))
        .containsInAnyOrder("optest_conv_bn_relu passed=false detail=true");
    PAssert.that(out.get(Stages.FAILURES)).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void artifactsAreNamedByTheHashOfTheirBytesAndRepeatable() throws Exception {
    List<ModelRun> runs = List.of(converted(small), converted(inception));
    List<List<String>> names = new ArrayList<>();
    for (String dir : List.of("a", "b")) {
      Pipeline q = Pipeline.create(PipelineOptionsFactory.create());
      PCollectionTuple out = q.apply(Create.of(runs).withCoder(Stages.RUN_CODER))
          .apply(WriteArtifacts.to(Storage.of(tmp.resolve(dir)), "cvy", "O0", blobs));
      PAssert.that(out.get(Stages.FAILURES)).empty();
      q.run().waitUntilFinish();
      try (Stream<Path> s = Files.list(tmp.resolve(dir))) {
        names.add(s.map(f -> f.getFileName().toString()).sorted().toList());
      }
    }
    assertEquals(names.get(0), names.get(1));
    assertEquals(4, names.get(0).size(), names.get(0).toString());
    assertTrue(names.get(0).contains("light_inception_v1.report.json"));
    for (String f : names.get(0)) {
      if (f.endsWith(".cvy")) {
        assertEquals(BlobStore.sha256(tmp.resolve("a").resolve(f)) + ".cvy", f);
      }
    }
    p.run().waitUntilFinish();
  }

  private static PCollection<String> names(PCollection<ModelRun> runs) {
    return runs.apply(MapElements.into(TypeDescriptors.strings()).via((ModelRun r) -> r.name()
        + " nodes=" + (r.after() != null ? r.after() : r.before()).nodes() + " pieces=" + r.pieces()));
  }

  private static org.apache.beam.sdk.coders.Coder<ModelRef> refCoder() {
    return dev.convoy.pipeline.element.JsonCoder.of(ModelRef.class);
  }
}

package dev.convoy.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.transforms.optimize.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zoo mixing ONNX and TFLite: every model converts by its sniffed format, the TFLite ones are
 * verified by Convoy's evaluator on their source graph and against the {@code NAME.ref/} recorded
 * by a TFLite runtime, their artifacts record the NHWC source layout, and a TFLite model with an
 * unsupported custom op is one {@code convert} failure naming the op.
 */
class MixedFormatZooRunTest {
  @TempDir Path tmp;

  private static final List<String> TFLITE = List.of("hello_world_int8", "micro_speech_quantized",
      "hand_landmark_lite");

  private Path zoo() throws IOException {
    Path tflite = TestData.root().resolve("models/tflite");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(tflite), "no TFLite models");
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), zoo.resolve("conv.onnx"));
    for (String name : TFLITE) {
      copyTree(tflite, zoo, name + ".tflite");
      copyTree(tflite, zoo, name + ".ref");
      if (Files.exists(tflite.resolve(name + ".tflite.oracle.args"))) {
        copyTree(tflite, zoo, name + ".tflite.oracle.args");
      }
    }
    copyTree(tflite, zoo, "audio_preprocessor_int8.tflite");
    return zoo;
  }

  private static void copyTree(Path from, Path to, String name) throws IOException {
    try (Stream<Path> s = Files.walk(from.resolve(name))) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  @Test
  void runConvertsOnnxAndTfliteAndVerifiesTfliteAgainstItsReferences() throws Exception {
    RunConfig cfg = RunConfig.of(zoo(), tmp.resolve("out")).withRunId("formats")
        .withLevel(Level.O2);
    RunSummary s = Runs.direct(cfg);
    assertEquals(5, s.modelsTotal());
    assertEquals(4, s.modelsOk(), () -> String.join("\n", ZooRunTest.uncheckedQuery(s.warehouse(),
        "SELECT model || ' ' || stage || ' ' || message FROM read_parquet('%s/failures/*/*.parquet')")));
    assertEquals(List.of("audio_preprocessor_int8|convert|true"), Warehouses.query(s.warehouse(),
        "SELECT model || '|' || stage || '|' || (message LIKE '%unsupported custom op ''Signal%')"
            + " FROM read_parquet('%s/failures/*/*.parquet')"));
    List<String> tfliteChecks = Warehouses.query(s.warehouse(),
        "SELECT model || '|' || oracle || '|' || passed FROM"
            + " read_parquet('%s/verifications/*/*.parquet') WHERE model <> 'conv' ORDER BY 1");
    assertEquals(TFLITE.stream().sorted()
        .map(m -> m + "|convoy-evaluator|true").toList(), tfliteChecks);
    // The ONNX original in ONNX Runtime, its .cvy result in Convoy's evaluator.
    assertEquals(List.of("ort/convoy-evaluator|true"), Warehouses.query(s.warehouse(),
        "SELECT oracle || '|' || passed FROM read_parquet('%s/verifications/*/*.parquet')"
            + " WHERE model = 'conv'"));
    for (String artifact : Warehouses.query(s.warehouse(),
        "SELECT artifact FROM read_parquet('%s/models/*/*.parquet') WHERE model <> 'conv'")) {
      assertEquals("NHWC", CvyReader.read(s.artifacts().resolve(artifact)).metadata()
          .get("source_layout"), artifact);
    }
  }
}

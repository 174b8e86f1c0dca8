package dev.convoy.pipeline.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.convert.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthetic zoo: ONNX Runtime loads every good model, no broken one imports, seeds repeat. */
class SynthZooTest {
  @TempDir Path tmp;

  @Test
  void everyGoodModelLoadsInOnnxRuntimeAndEveryBrokenOneFailsToImport() throws Exception {
    List<SynthZoo.Entry> zoo = SynthZoo.generate(60, 11, tmp.resolve("zoo"));
    Set<SynthZoo.Kind> kinds = EnumSet.noneOf(SynthZoo.Kind.class);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (SynthZoo.Entry e : zoo) {
      kinds.add(e.kind());
      Path file = tmp.resolve("zoo").resolve(e.name() + ".onnx");
      assertEquals(e.externalData(), Files.exists(Path.of(file + ".data")), e.name());
      if (e.kind() == SynthZoo.Kind.BROKEN) {
        assertThrows(RuntimeException.class, () -> Models.load(file), e.name());
        continue;
      }
      Graph g = Models.load(file);
      assertTrue(g.nodes().size() >= 3, e.name());
      try (OrtSession s = env.createSession(file.toString(), new OrtSession.SessionOptions())) {
        assertEquals(1, s.getNumOutputs(), e.name());
      }
    }
    assertEquals(EnumSet.allOf(SynthZoo.Kind.class), kinds);
    assertTrue(zoo.stream().anyMatch(SynthZoo.Entry::externalData));
    // A zoo folder lists the models only: no external-data sidecar, no manifest.
    assertEquals(zoo.stream().map(SynthZoo.Entry::name).sorted().toList(),
        ZooIO.list(tmp.resolve("zoo")).stream().map(ModelRef::name).toList());
  }

  @Test
  void theSameSeedGivesTheSameFilesAndAnotherSeedOthers() throws Exception {
    SynthZoo.generate(8, 3, tmp.resolve("a"));
    SynthZoo.generate(8, 3, tmp.resolve("b"));
    SynthZoo.generate(8, 4, tmp.resolve("c"));
    assertArrayEquals(Files.readAllBytes(tmp.resolve("a/MANIFEST.csv")),
        Files.readAllBytes(tmp.resolve("b/MANIFEST.csv")));
    int differ = 0;
    for (String line : Files.readAllLines(tmp.resolve("a/MANIFEST.csv")).subList(1, 9)) {
      String file = line.split(",")[1];
      assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(file)),
          Files.readAllBytes(tmp.resolve("b").resolve(file)), file);
      Path other = tmp.resolve("c").resolve(file);
      if (!Files.exists(other) || !java.util.Arrays.equals(Files.readAllBytes(other),
          Files.readAllBytes(tmp.resolve("a").resolve(file)))) {
        differ++;
      }
    }
    assertTrue(differ > 0, "seed 4 gives other models than seed 3");
  }

  @Test
  void aScaleKeepsEveryModelAndItsWeightsAndMultipliesTheActivationSide() throws Exception {
    List<SynthZoo.Entry> small = SynthZoo.generate(24, 5, tmp.resolve("s1"));
    List<SynthZoo.Entry> large = SynthZoo.generate(24, 5, 3, tmp.resolve("s3"));
    assertEquals(small, large);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int checked = 0;
    for (SynthZoo.Entry e : small) {
      if (e.kind() == SynthZoo.Kind.BROKEN) {
        continue;
      }
      Graph a = Models.load(tmp.resolve("s1").resolve(e.name() + ".onnx"));
      Path bigFile = tmp.resolve("s3").resolve(e.name() + ".onnx");
      Graph b = Models.load(bigFile);
      assertEquals(a.nodes().stream().map(n -> n.opType()).toList(),
          b.nodes().stream().map(n -> n.opType()).toList(), e.name());
      assertEquals(a.initializers().size(), b.initializers().size(), e.name());
      for (int i = 0; i < a.initializers().size(); i++) {
        assertEquals(a.initializers().get(i).constant().data(),
            b.initializers().get(i).constant().data(), e.name());
      }
      long elements1 = a.inputs().get(0).tensorType().shape().numElements();
      long elements3 = b.inputs().get(0).tensorType().shape().numElements();
      // CNN: the image side (x9 elements); others: sequence or batch (x3).
      assertEquals(e.kind() == SynthZoo.Kind.CNN ? 9 : 3, elements3 / elements1, e.name());
      try (OrtSession s = env.createSession(bigFile.toString(), new OrtSession.SessionOptions())) {
        assertEquals(1, s.getNumOutputs(), e.name());
      }
      checked++;
    }
    assertTrue(checked > 10);
    assertThrows(dev.convoy.ir.ConvoyException.class,
        () -> SynthZoo.generate(1, 5, 0, tmp.resolve("s0")));
  }
}

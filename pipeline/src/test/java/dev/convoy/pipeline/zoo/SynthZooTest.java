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
}

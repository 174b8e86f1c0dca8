package dev.convoy.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where a model lands in the {@code models/} mirror of its zoo's tree. */
class ArtifactMirrorTest {
  private final WriteArtifacts.Mirror mirror = new WriteArtifacts.Mirror("/zoo", "/out/models");

  @Test
  void keepsTheFolderUnderTheZooAndNamesLevelAndFormat() {
    assertEquals(Path.of("/out/models/vision/cls/resnet.O2.cvy"),
        mirror.place("/zoo/vision/cls/resnet.onnx", "O2", "cvy", null));
    assertEquals(Path.of("/out/models/vision/cls/resnet.O2.report.json"),
        mirror.place("/zoo/vision/cls/resnet.onnx", "O2", "cvy", "report.json"));
    assertEquals(Path.of("/out/models/top.O3.onnx"), mirror.place("/zoo/top.onnx", "O3", "onnx", null));
  }

  @Test
  void aModelOutsideTheZooFolderLandsAtTheTop() {
    assertEquals(Path.of("/out/models/far.O1.onnx"),
        mirror.place("/elsewhere/deep/far.onnx", "O1", "onnx", null));
  }
}

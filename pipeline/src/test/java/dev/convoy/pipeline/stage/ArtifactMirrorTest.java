package dev.convoy.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Where a model lands in the {@code models/} mirror of its zoo's tree. */
class ArtifactMirrorTest {
  private final WriteArtifacts.Mirror mirror = new WriteArtifacts.Mirror("/zoo", "/out/models");

  @Test
  void keepsTheFolderUnderTheZooAndNamesLevelAndFormat() {
    assertEquals("/out/models/vision/cls/resnet.O2.cvy",
        mirror.place("/zoo/vision/cls/resnet.onnx", "O2", "cvy", null));
    assertEquals("/out/models/vision/cls/resnet.O2.report.json",
        mirror.place("/zoo/vision/cls/resnet.onnx", "O2", "cvy", "report.json"));
    assertEquals("/out/models/top.O3.onnx", mirror.place("/zoo/top.onnx", "O3", "onnx", null));
  }

  @Test
  void aModelOutsideTheZooFolderLandsAtTheTop() {
    assertEquals("/out/models/far.O1.onnx",
        mirror.place("/elsewhere/deep/far.onnx", "O1", "onnx", null));
    assertEquals("/out/models/sibling.O1.onnx",
        mirror.place("/zoo2/sibling.onnx", "O1", "onnx", null));
  }

  @Test
  void mirrorsIntoAnotherFilesystem() {
    WriteArtifacts.Mirror remote = new WriteArtifacts.Mirror("/zoo", "mem://bucket/out/models/");
    assertEquals("mem://bucket/out/models/vision/resnet.O2.cvy",
        remote.place("/zoo/vision/resnet.onnx", "O2", "cvy", null));
  }
}

package dev.convoy.transforms.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Format sniffing with the Caffe and TensorFlow formats beside ONNX: each file is recognized by
 * its content, and none is taken for another (ONNX models stay ONNX, reference tensor files are
 * not GraphDefs).
 */
class SourceSniffingTest {
  @Test
  void caffePrototxtsAndCaffemodelsSniffAsCaffe() throws IOException {
    try (Stream<Path> s = Files.list(TestData.root().resolve("models/caffe"))) {
      s.filter(p -> p.toString().endsWith(".prototxt") || p.toString().endsWith(".caffemodel"))
          .forEach(p -> assertEquals(ModelFormat.CAFFE, ModelFormat.sniff(p), p.toString()));
    }
  }

  @Test
  void everyDevOnnxModelStillSniffsAsOnnx() {
    for (Path p : TestData.devModelFiles()) {
      assertEquals(ModelFormat.ONNX, ModelFormat.sniff(p), p.toString());
    }
  }

  @Test
  void referenceTensorFilesAreNotTakenForGraphDefs() throws IOException {
    try (Stream<Path> s = Files.walk(TestData.devModels())) {
      s.filter(p -> p.toString().endsWith(".pb")).limit(200).forEach(p -> {
        try {
          ModelFormat f = ModelFormat.sniff(p);
          assertEquals(false, f == ModelFormat.TF || f == ModelFormat.CAFFE, p + " sniffed as " + f);
        } catch (InvalidModelException expected) {
          // Not a model at all: right.
        }
      });
    }
  }

  @Test
  void textThatIsNotANetIsNotCaffe(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    Path notes = tmp.resolve("notes.prototxt");
    Files.writeString(notes, "hello: world\n");
    assertThrows(InvalidModelException.class, () -> ModelFormat.sniff(notes));
  }
}

package dev.convoy.transforms.convert.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the ONNX importer: any bytes may be refused, but only with a {@link ConvoyException}
 * naming the file, within the per-input timeout and without allocating what the file merely
 * announces (a tensor's dims, a repeated field's count). The model's folder holds one 64-byte
 * {@code weights.bin}, so external data is reached too. In {@code mvn test} this runs over the seed
 * corpus in {@code
 * src/test/resources/dev/convoy/transforms/convert/onnx/OnnxImporterFuzzTestInputs/} (node tests,
 * small real models, local functions, sparse and external initializers); with {@code
 * JAZZER_FUZZ=1} it fuzzes (see docs/reliability.md).
 */
class OnnxImporterFuzzTest {
  private static Path folder;

  @BeforeAll
  static void createFolder() throws IOException {
    folder = Files.createTempDirectory("convoy-fuzz-onnx");
    Files.write(folder.resolve("weights.bin"), new byte[64]);
  }

  @AfterAll
  static void deleteFolder() throws IOException {
    try (Stream<Path> s = Files.walk(folder)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @FuzzTest(maxExecutions = 600_000)
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void importsOrRefusesWithConvoyException(byte[] input) {
    try {
      OnnxImporter.importBytes(input, "fuzz.onnx", folder);
    } catch (ConvoyException refused) {
      // refusing is fine; any other exception or error fails the test
    }
  }
}

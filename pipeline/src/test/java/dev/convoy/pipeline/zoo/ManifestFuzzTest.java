package dev.convoy.pipeline.zoo;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the zoo manifest reader: any CSV or YAML may be refused, but only with a {@link
 * ConvoyException} naming the manifest, within the per-input timeout. The first byte of an input
 * picks the form ({@code y}: YAML, anything else: CSV); the rest is the file. Only the manifest is
 * read, never the model files it names. In {@code mvn test} this runs over the seed corpus in
 * {@code src/test/resources/dev/convoy/pipeline/zoo/ManifestFuzzTestInputs/}; with {@code
 * JAZZER_FUZZ=1} it fuzzes (see docs/reliability.md).
 */
class ManifestFuzzTest {
  private static Path folder;

  @BeforeAll
  static void createFolder() throws IOException {
    folder = Files.createTempDirectory("convoy-fuzz-manifest");
  }

  @AfterAll
  static void deleteFolder() throws IOException {
    Files.deleteIfExists(folder.resolve("zoo.csv"));
    Files.deleteIfExists(folder.resolve("zoo.yaml"));
    Files.delete(folder);
  }

  @FuzzTest(maxExecutions = 100_000)
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void readsOrRefusesWithConvoyException(byte[] input) throws IOException {
    boolean yaml = input.length > 0 && input[0] == 'y';
    Path manifest = folder.resolve(yaml ? "zoo.yaml" : "zoo.csv");
    Files.write(manifest, Arrays.copyOfRange(input, Math.min(1, input.length), input.length));
    try {
      Manifest.read(manifest);
    } catch (ConvoyException refused) {
      // refusing is fine; any other exception or error fails the test
    }
  }
}

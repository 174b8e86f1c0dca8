package dev.convoy.ir.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.text.GraphPrinter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the {@code .cvy} reader: any bytes may be refused, but only with a {@link
 * ConvoyException}, within the per-input timeout and without allocating what the file merely
 * announces; a graph it accepts must write and read back to the same graph. In {@code mvn test} this runs
 * over the seed corpus in {@code src/test/resources/dev/convoy/ir/format/CvyReaderFuzzTestInputs/}
 * (files written by {@link CvyWriter}); with {@code JAZZER_FUZZ=1} it fuzzes (see
 * docs/reliability.md).
 */
class CvyReaderFuzzTest {
  private static Path file;
  private static Path rewritten;

  @BeforeAll
  static void createFile() throws IOException {
    file = Files.createTempFile("convoy-fuzz", ".cvy");
    rewritten = Files.createTempFile("convoy-fuzz-rewritten", ".cvy");
  }

  @AfterAll
  static void deleteFile() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(rewritten);
  }

  @FuzzTest(maxExecutions = 60_000)
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void readsOrRefusesWithConvoyException(byte[] input) throws IOException {
    Files.write(file, input);
    Graph g;
    try {
      g = CvyReader.read(file, 4096);
    } catch (ConvoyException refused) {
      return;
    }
    CvyWriter.write(g, rewritten);
    assertEquals(GraphPrinter.print(g), GraphPrinter.print(CvyReader.read(rewritten, 4096)),
        "an accepted graph must write and read back unchanged");
  }
}

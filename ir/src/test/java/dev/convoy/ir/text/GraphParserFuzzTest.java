package dev.convoy.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the canonical text-form parser: any text may be refused, but only with a {@link
 * ConvoyException} (naming the position and what is wrong), within the per-input timeout; text
 * it accepts must print and parse back to the same text. In {@code mvn test} this runs over the
 * seed corpus in {@code src/test/resources/dev/convoy/ir/text/GraphParserFuzzTestInputs/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see docs/reliability.md).
 */
class GraphParserFuzzTest {
  @FuzzTest(maxExecutions = 600_000)
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void parsesOrRefusesWithConvoyException(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    Graph g;
    try {
      g = GraphParser.parse(text, "fuzz.txt");
    } catch (ConvoyException refused) {
      return;
    }
    String printed = GraphPrinter.print(g);
    assertEquals(printed, GraphPrinter.print(GraphParser.parse(printed, "printed.txt")),
        "an accepted graph must print and parse back to the same text");
  }
}

package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.text.GraphPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The imported graph of every TFLite test model with references, in canonical text, against a
 * reviewed golden under {@code golden-import/tflite/}: value and node names, op structure, types
 * and small constants stay as they are unless a change is meant (then rewrite the goldens with
 * {@code -Dconvoy.updateGoldens=true} and review the diff). Constants too large for a literal
 * appear as the SHA-256 of their base64 text, so the goldens stay small and still pin the bytes.
 */
class TfliteImportGoldenTest {
  private static final Path GOLDEN = Paths.get("src/test/resources/golden-import/tflite");
  private static final boolean UPDATE = Boolean.getBoolean("convoy.updateGoldens");
  private static final Pattern BASE64 = Pattern.compile("base64\"([A-Za-z0-9+/=]*)\"");

  static Stream<Path> models() {
    return TfliteModels.withReferences();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void importedGraphMatchesGolden(Path model) throws IOException {
    String actual = text(model);
    Path golden = GOLDEN.resolve(model.getFileName().toString().replaceFirst("\\.tflite$", "")
        + ".txt");
    if (UPDATE) {
      Files.createDirectories(GOLDEN);
      Files.writeString(golden, actual);
    }
    assertTrue(Files.exists(golden), golden + " is missing; write it with"
        + " -Dconvoy.updateGoldens=true and review it");
    assertEquals(Files.readString(golden), actual, model.getFileName() + " imports differently"
        + " from " + golden + " (if the change is intended, rewrite it with"
        + " -Dconvoy.updateGoldens=true and review the diff)");
  }

  private static String text(Path model) {
    Matcher m = BASE64.matcher(GraphPrinter.print(TfliteImporter.importFile(model)));
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, "sha256:" + sha256(m.group(1)));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

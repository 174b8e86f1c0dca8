package dev.convoy.pipeline;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Small zoos for pipeline tests, built from the bundled zoo and the shared broken files. */
public final class Zoos {
  /** Good models of the mixed zoo (names after conversion); renamed_conv is ONNX named .bin. */
  public static final String[] GOOD = {
    "light_inception_v1", "optest_conv_bn_relu", "renamed_conv", "small_cnn_qdq"
  };
  /** Broken files of the mixed zoo; truncated_model has a .cvy extension but ONNX bytes. */
  public static final String[] BROKEN = {
    "empty", "notonnx", "random", "truncated", "truncated_model", "unknown_op"
  };

  private Zoos() {}

  /** {@code testdata/zoo} of this checkout. */
  public static Path bundled() {
    Path p = Path.of("").toAbsolutePath();
    for (; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("testdata/zoo"))) {
        return p.resolve("testdata/zoo");
      }
    }
    assumeTrue(false, "testdata/zoo not found");
    return null;
  }

  /** The mixed zoo: {@link #GOOD} models and {@link #BROKEN} files, under {@code dir}. */
  public static Path mixed(Path dir) throws IOException {
    Path zoo = Files.createDirectories(dir.resolve("zoo"));
    Path bundled = bundled();
    Path broken = TestData.brokenModels();
    for (String m : new String[] {"light_inception_v1", "optest_conv_bn_relu", "small_cnn_qdq"}) {
      Files.copy(bundled.resolve(m + ".onnx"), zoo.resolve(m + ".onnx"));
    }
    Files.copy(bundled.resolve("optest_conv_bn_relu.onnx"), zoo.resolve("renamed_conv.bin"));
    Path nested = Files.createDirectories(zoo.resolve("broken"));
    for (String b : Arrays.asList("empty", "notonnx", "random", "truncated", "unknown_op")) {
      Files.copy(broken.resolve(b + ".onnx"), nested.resolve(b + ".onnx"));
    }
    Files.copy(broken.resolve("truncated.onnx"), nested.resolve("truncated_model.cvy"));
    Files.writeString(zoo.resolve("notes.txt"), "not a model, and not named like one\n");
    return zoo;
  }
}

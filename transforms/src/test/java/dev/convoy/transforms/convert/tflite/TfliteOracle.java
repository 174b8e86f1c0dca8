package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TFLite's own runtime as an oracle: {@code tools/tflite-oracle/oracle.js} (tfjs-tflite, TFLite's
 * WebAssembly build) or {@code litert.mjs} (LiteRT.js) in Node, installed by {@code npm ci} from
 * the committed lockfile. When Node or
 * the modules are absent the calling test is skipped with a message saying how to install them.
 */
public final class TfliteOracle {
  private final Path script;

  private TfliteOracle(Path script) {
    this.script = script;
  }

  /** tfjs-tflite (oracle.js), or a skip of the calling test when it cannot run here. */
  public static TfliteOracle require() {
    return require("oracle.js", "@tensorflow/tfjs-tflite");
  }

  /**
   * LiteRT.js (litert.mjs), the cross-check for float models (it maps only float32, int32 and
   * uint8 tensors and has no variable tensors), or a skip when it cannot run here.
   */
  static TfliteOracle requireLiteRt() {
    return require("litert.mjs", "@litertjs/core");
  }

  private static TfliteOracle require(String script, String module) {
    Path dir = Path.of("..", "tools", "tflite-oracle").toAbsolutePath().normalize();
    assumeTrue(nodeWorks(), "node is not on PATH: TFLite oracle tests skipped");
    assumeTrue(Files.isDirectory(dir.resolve("node_modules").resolve(module)),
        module + " missing: run `npm ci` in " + dir + " (.ci/run does); skipped");
    return new TfliteOracle(dir.resolve(script));
  }

  private static boolean nodeWorks() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs {@code model} once on {@code inputs} (subgraph 0's order); its outputs in order. */
  public List<Tensor> run(Path model, List<Tensor> inputs, Path work) throws IOException,
      InterruptedException {
    Files.createDirectories(work);
    StringBuilder spec = new StringBuilder("{\"model\":" + json(model.toAbsolutePath().toString())
        + ",\"outDir\":" + json(work.resolve("out").toString()) + ",\"inputs\":[");
    for (int i = 0; i < inputs.size(); i++) {
      Path f = work.resolve("input_" + i + ".bin");
      Files.write(f, inputs.get(i).toByteArray());
      spec.append(i > 0 ? "," : "").append(json(f.toString()));
    }
    spec.append("]}");
    Path specFile = work.resolve("spec.json");
    Files.writeString(specFile, spec);
    Process p = new ProcessBuilder("node", script.toString(), specFile.toString())
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("TFLite oracle failed on " + model + ": " + log);
    }
    String meta = Files.readString(work.resolve("out/outputs.json"));
    Matcher m = Pattern.compile("\"dtype\":\"(\\w+)\",\"shape\":\\[([0-9,]*)\\]").matcher(meta);
    List<Tensor> out = new ArrayList<>();
    for (int j = 0; m.find(); j++) {
      long[] dims = m.group(2).isEmpty() ? new long[0]
          : java.util.Arrays.stream(m.group(2).split(",")).mapToLong(Long::parseLong).toArray();
      byte[] bytes = Files.readAllBytes(work.resolve("out/output_" + j + ".bin"));
      out.add(Tensor.of(DType.fromText(m.group(1)), dims, ByteBuffer.wrap(bytes)));
    }
    return out;
  }

  private static String json(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}

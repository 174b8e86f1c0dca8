package dev.convoy.transforms.convert.caffe;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.graph.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * OpenCV's dnn module (Debian {@code python3-opencv}, run by {@code /usr/bin/python3}) as the
 * oracle for Caffe nets: runs a prototxt/caffemodel pair on given inputs and returns the first
 * output of the named layers. Tests call {@link #requireAvailable()}, which skips them with a
 * message where OpenCV is not installed.
 */
final class OpenCvCaffe {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static Boolean available;

  private OpenCvCaffe() {}

  static synchronized void requireAvailable() {
    if (available == null) {
      available = Files.isExecutable(PYTHON) && run(List.of(PYTHON.toString(), "-c", "import cv2"),
          Path.of(".")).isEmpty();
    }
    assumeTrue(available, "OpenCV for Python (Debian python3-opencv, run with /usr/bin/python3) "
        + "is not installed: the OpenCV oracle tests are skipped (.ci/run installs it)");
  }

  /** Runs the net; returns each layer's first output, in {@code layers} order. */
  static List<Tensor> forward(Path prototxt, Path caffemodel, Map<String, Tensor> inputs,
      List<String> layers, Path work) throws IOException {
    Path script = work.resolve("opencv_forward.py");
    try (InputStream in = OpenCvCaffe.class.getResourceAsStream("opencv_forward.py")) {
      Files.copy(in, script);
    }
    StringBuilder inputsTxt = new StringBuilder();
    int k = 0;
    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
      String file = "in_" + k++ + ".bin";
      ByteBuffer bytes = ByteBuffer.allocate((int) e.getValue().byteSize())
          .order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(e.getValue().toFloatArray());
      Files.write(work.resolve(file), bytes.array());
      inputsTxt.append(e.getKey()).append(' ').append(file).append(' ')
          .append(dims(e.getValue().dims())).append('\n');
    }
    Files.writeString(work.resolve("inputs.txt"), inputsTxt);
    Files.writeString(work.resolve("layers.txt"), String.join("\n", layers) + "\n");
    String err = run(List.of(PYTHON.toString(), script.toString(), prototxt.toString(),
        caffemodel.toString(), work.toString()), work);
    if (!err.isEmpty()) {
      throw new AssertionError("OpenCV failed on " + prototxt.getFileName() + ":\n" + err);
    }
    List<Tensor> out = new ArrayList<>();
    for (String line : Files.readAllLines(work.resolve("outputs.txt"))) {
      String[] parts = line.split(" ");
      long[] shape = parts.length > 1 && !parts[1].isEmpty()
          ? java.util.Arrays.stream(parts[1].split("x")).mapToLong(Long::parseLong).toArray()
          : new long[0];
      ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(work.resolve("out_" + parts[0] + ".bin")))
          .order(ByteOrder.LITTLE_ENDIAN);
      float[] values = new float[data.remaining() / 4];
      data.asFloatBuffer().get(values);
      out.add(Tensor.ofFloats(shape, values));
    }
    return out;
  }

  private static String dims(long[] d) {
    return java.util.Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining("x"));
  }

  /** Runs a command; returns its output when it fails, "" when it succeeds. */
  private static String run(List<String> command, Path dir) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
          .start();
      String output = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return "timed out";
      }
      return p.exitValue() == 0 ? "" : output.isEmpty() ? "exit " + p.exitValue() : output;
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted", e));
    }
  }
}

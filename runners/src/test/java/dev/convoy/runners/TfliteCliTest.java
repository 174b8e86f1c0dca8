package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.ModelT;

/**
 * The command line on TFLite models: convert, optimize, inspect and eval accept {@code .tflite}
 * (sniffed by its TFL3 identifier), and malformed TFLite files are bad input (exit 2) with one
 * line naming the file and the problem.
 */
class TfliteCliTest {
  @TempDir Path tmp;

  private static Path model(String name) {
    Path p = TestData.root().resolve("models/tflite").resolve(name);
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(p), p + " missing: skipped");
    return p;
  }

  private void assertBadInput(Path file, String problem) {
    CliTest.Result r = CliTest.run("convert", file.toString(), "-o", tmp.resolve("out.onnx").toString());
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().startsWith("convoy: "), r.err());
    assertTrue(r.err().contains(file.getFileName().toString()), r.err());
    assertTrue(r.err().contains(problem), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertFalse(Files.exists(tmp.resolve("out.onnx")));
  }

  private Path patched(String name, Consumer<ByteBuffer> patch) throws IOException {
    byte[] bytes = Files.readAllBytes(model("hello_world_float.tflite"));
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    patch.accept(bb);
    Path out = tmp.resolve(name);
    Files.write(out, bytes);
    return out;
  }

  /** hello_world_float rebuilt through the FlatBuffers object API after {@code edit}. */
  private Path rebuilt(String name, Consumer<ModelT> edit) throws IOException {
    byte[] bytes = Files.readAllBytes(model("hello_world_float.tflite"));
    ModelT m = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)).unpack();
    edit.accept(m);
    FlatBufferBuilder b = new FlatBufferBuilder();
    Model.finishModelBuffer(b, Model.pack(b, m));
    Path out = tmp.resolve(name);
    Files.write(out, b.sizedByteArray());
    return out;
  }

  @Test
  void wrongFileIdentifierIsBadInput() throws IOException {
    Path f = patched("wrong_id.tflite", bb -> bb.put(4, (byte) 'X').put(5, (byte) 'Y'));
    assertBadInput(f, "TFL3");
  }

  @Test
  void truncatedFileIsBadInput() throws IOException {
    byte[] bytes = Files.readAllBytes(model("hello_world_float.tflite"));
    Path f = tmp.resolve("truncated.tflite");
    Files.write(f, Arrays.copyOf(bytes, bytes.length / 3));
    assertBadInput(f, "not a valid TFLite model");
  }

  @Test
  void bufferOutsideTheFileIsBadInput() throws IOException {
    Path f = patched("buffer_outside.tflite", bb -> {
      Model m = Model.getRootAsModel(bb.duplicate().order(ByteOrder.LITTLE_ENDIAN));
      for (int i = 0; i < m.buffersLength(); i++) {
        if (m.buffers(i).dataLength() > 0) {
          int start = m.buffers(i).dataAsByteBuffer().position();
          bb.putInt(start - 4, 0x7fff0000);
          return;
        }
      }
      throw new AssertionError("no buffer with data");
    });
    assertBadInput(f, "lies outside the file");
  }

  @Test
  void unknownBuiltinCodeIsBadInput() throws IOException {
    Path f = rebuilt("unknown_op.tflite", m -> {
      m.getOperatorCodes()[0].setBuiltinCode(250);
      m.getOperatorCodes()[0].setDeprecatedBuiltinCode((byte) 127);
    });
    assertBadInput(f, "builtin code 250");
  }

  @Test
  void unsupportedCustomOpIsBadInputNamingTheOp() {
    assertBadInput(model("audio_preprocessor_int8.tflite"), "unsupported custom op 'Signal");
  }

  @Test
  void convertOptimizeInspectAndEvalAcceptTflite() throws IOException {
    Path m = model("hello_world_int8.tflite");
    Path onnx = tmp.resolve("hw.onnx");
    CliTest.Result c = CliTest.run("optimize", m.toString(), "-o", onnx.toString(), "--level", "O2",
        "--verify");
    assertEquals(Main.OK, c.exit(), c.err());
    CliTest.Result i = CliTest.run("inspect", m.toString());
    assertEquals(Main.OK, i.exit(), i.err());
    assertTrue(i.out().contains("tflite"), i.out());

    Path ref = m.resolveSibling("hello_world_int8.ref/test_data_set_0");
    Path outs = tmp.resolve("outs");
    CliTest.Result e = CliTest.run("eval", m.toString(), "--inputs", ref.toString(),
        "--outputs", outs.toString());
    assertEquals(Main.OK, e.exit(), e.err());
    Tensor expected = OnnxTensors.readPb(ref.resolve("output_0.pb"));
    Tensor actual = OnnxTensors.readPb(outs.resolve("output_0.pb"));
    assertEquals(Arrays.toString(expected.toLongArray()), Arrays.toString(actual.toLongArray()));
  }
}

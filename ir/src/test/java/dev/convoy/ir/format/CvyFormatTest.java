package dev.convoy.ir.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.format.proto.Initializer;
import dev.convoy.ir.format.proto.Model;
import dev.convoy.ir.format.proto.ValueDecl;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.GraphDiff;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.text.GraphPrinter;
import dev.convoy.ir.text.RandomGraphs;
import dev.convoy.ir.text.SampleGraphs;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CvyFormatTest {
  @TempDir Path dir;

  static Stream<Arguments> samples() {
    return SampleGraphs.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  private Graph roundTrip(String label, Graph g) {
    Path file = dir.resolve(label + ".cvy");
    CvyWriter.write(g, file);
    Graph back = CvyReader.read(file);
    assertNull(GraphDiff.first(g, back), label);
    assertEquals(GraphPrinter.print(g), GraphPrinter.print(back), label + ": bits differ");
    return back;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void handBuiltGraphsRoundTrip(String name, Graph g) {
    roundTrip(name, g);
  }

  @Test
  void randomGraphsRoundTrip() {
    for (long seed = 0; seed < 200; seed++) {
      roundTrip("random" + seed, RandomGraphs.generate(seed));
    }
  }

  @Test
  void weightsAreMemoryMappedNotCopied() {
    Graph back = roundTrip("dtypes", SampleGraphs.everyDType());
    for (Value v : back.initializers()) {
      assertEquals(v.constant().dtype() != DType.STRING, v.constant().isMapped(), v.name());
    }
  }

  @Test
  void everyTensorIsAlignedInTheBlob() throws IOException {
    Path file = dir.resolve("dtypes.cvy");
    CvyWriter.write(SampleGraphs.everyDType(), file);
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer pre = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = pre.getLong(16);
    long blobLength = pre.getLong(24);
    long blobStart = CvyFormat.align(32 + headerLength);
    assertEquals(0, blobStart % 64);
    assertEquals(bytes.length, blobStart + blobLength);
    Model m = Model.parseFrom(Arrays.copyOfRange(bytes, 32, 32 + (int) headerLength));
    int numeric = 0;
    for (Initializer init : m.getGraph().getInitializersList()) {
      if (init.getTensor().getStringsCount() == 0) {
        assertEquals(0, init.getTensor().getOffset() % 64, init.getValue().getName());
        numeric++;
      }
    }
    assertEquals(DType.values().length - 1, numeric);
  }

  @Test
  void tensorsStraddlingMappingWindowsReadBack() {
    Graph g = SampleGraphs.bigTensors();
    Path file = dir.resolve("big.cvy");
    CvyWriter.write(g, file);
    for (long window : new long[] {64, 128, 448, 4096}) {
      Graph back = CvyReader.read(file, window);
      assertEquals(g, back, "window " + window);
      assertTrue(back.initializer("l").constant().isMapped());
    }
  }

  @Test
  void equalGraphsGiveIdenticalBytes() throws IOException {
    for (long seed = 0; seed < 30; seed++) {
      Graph g = RandomGraphs.generate(seed);
      Graph equal = GraphParser.parse(GraphPrinter.print(g));
      Path a = dir.resolve("a.cvy");
      Path b = dir.resolve("b.cvy");
      CvyWriter.write(g, a);
      CvyWriter.write(equal, b);
      assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "seed " + seed);
      CvyWriter.write(CvyReader.read(a), b);
      assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "rewritten, seed " + seed);
    }
  }

  @Test
  void uniformTensorsAreStoredAsOneElement() throws IOException {
    Graph g = new Graph();
    float[] fill = new float[1 << 20];
    Arrays.fill(fill, 0.25f);
    g.addInitializer("fill", Tensor.ofFloats(new long[] {1024, 1024}, fill));
    float[] ramp = new float[2048];
    for (int i = 0; i < ramp.length; i++) {
      ramp[i] = i;
    }
    g.addInitializer("ramp", Tensor.ofFloats(new long[] {2048}, ramp));
    Path file = dir.resolve("splat.cvy");
    CvyWriter.write(g, file);
    assertTrue(Files.size(file) < 16 * 1024, "4 MiB fill written as " + Files.size(file) + " bytes");
    Graph back = CvyReader.read(file);
    assertEquals(g, back);
    assertFalse(back.initializer("fill").constant().isMapped(), "a splat is rebuilt on the heap");
    assertTrue(back.initializer("ramp").constant().isMapped(), "other weights stay mapped");
  }

  @Test
  void equalTensorsAreStoredOnce() throws IOException {
    Graph g = new Graph();
    float[] data = new float[1000];
    g.addInitializer("a", Tensor.ofFloats(new long[] {1000}, data));
    g.addInitializer("b", Tensor.ofFloats(new long[] {1000}, data));
    Path file = dir.resolve("shared.cvy");
    CvyWriter.write(g, file);
    ByteBuffer pre = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(4000, pre.getLong(24));
    assertEquals(g, CvyReader.read(file));
  }

  @Test
  void readsTensorsBeyondTwoGibibytesOfBlob() throws IOException {
    long far = 3L << 30;
    Model m = Model.newBuilder().setGraph(dev.convoy.ir.format.proto.Graph.newBuilder()
        .addInitializers(initializer("near", 0, 8))
        .addInitializers(initializer("far", far, 8))).build();
    Path file = craft("far.cvy", CvyFormat.VERSION, m.toByteArray(), far + 8, 0);
    long blobStart = CvyFormat.align(32 + m.getSerializedSize());
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(blobStart + far);
      raf.write(new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
    }
    Graph g = CvyReader.read(file);
    Tensor t = g.initializer("far").constant();
    assertTrue(t.isMapped());
    assertArrayEquals(new long[] {1}, t.toLongArray());
    assertArrayEquals(new long[] {0}, g.initializer("near").constant().toLongArray());
  }

  private static Initializer initializer(String name, long offset, long length) {
    return Initializer.newBuilder().setValue(ValueDecl.newBuilder().setName(name))
        .setTensor(dev.convoy.ir.format.proto.Tensor.newBuilder().setDtype(7).addDims(1)
            .setOffset(offset).setLength(length)).build();
  }

  /** A file with the given preamble fields and header, sized to hold the blob (sparse). */
  private Path craft(String name, int version, byte[] header, long blobLength, long sizeDelta)
      throws IOException {
    Path file = dir.resolve(name);
    ByteBuffer pre = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    pre.put(CvyFormat.MAGIC).putInt(version).putInt(0).putLong(header.length)
        .putLong(blobLength);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.write(pre.array());
      raf.write(header);
      raf.setLength(CvyFormat.align(32 + header.length) + blobLength + sizeDelta);
    }
    return file;
  }

  private void assertRejected(Path file, String message) {
    var e = assertThrows(InvalidModelException.class, () -> CvyReader.read(file));
    assertEquals(file + ": " + message, e.getMessage());
  }

  @Test
  void rejectsBadFilesWithClearErrors() throws IOException {
    Path empty = Files.write(dir.resolve("empty.cvy"), new byte[0]);
    assertRejected(empty, "empty file, not a .cvy model");
    Path onnx = Files.write(dir.resolve("model.onnx"), new byte[64]);
    assertRejected(onnx, "not a .cvy model (wrong magic bytes)");
    byte[] header = Model.newBuilder().setGraph(dev.convoy.ir.format.proto.Graph.newBuilder()
        .addInitializers(initializer("w", 0, 8))).build().toByteArray();
    assertRejected(craft("v7.cvy", 7, header, 8, 0),
        "unsupported .cvy format version 7 (this Convoy reads version 1)");
    long full = CvyFormat.align(32 + header.length) + 8;
    assertRejected(craft("short.cvy", 1, header, 8, -3),
        "truncated: the preamble announces " + full + " bytes but the file has " + (full - 3));
    assertRejected(craft("long.cvy", 1, header, 8, 5),
        "5 unexpected bytes after the weight blob");
    byte[] outside = Model.newBuilder().setGraph(dev.convoy.ir.format.proto.Graph.newBuilder()
        .addInitializers(initializer("w", 64, 8))).build().toByteArray();
    assertRejected(craft("outside.cvy", 1, outside, 8, 0),
        "initializer %w: data at offset 64 length 8 lies outside the weight blob of 8 bytes");
    byte[] garbage = new byte[40];
    Arrays.fill(garbage, (byte) 0xff);
    assertTrue(assertThrows(InvalidModelException.class,
        () -> CvyReader.read(craft("garbage.cvy", 1, garbage, 0, 0))).getMessage()
        .contains("garbage.cvy: corrupt header: "));
    Path real = dir.resolve("real.cvy");
    CvyWriter.write(SampleGraphs.conv(), real);
    byte[] bytes = Files.readAllBytes(real);
    Path cut = Files.write(dir.resolve("cut.cvy"), Arrays.copyOf(bytes, bytes.length - 1));
    assertTrue(assertThrows(InvalidModelException.class, () -> CvyReader.read(cut))
        .getMessage().contains("truncated"));
    Path missing = dir.resolve("missing.cvy");
    assertEquals(missing + ": no such file",
        assertThrows(ConvoyException.class, () -> CvyReader.read(missing)).getMessage());
  }

  @Test
  void sniffsTheFormatByItsMagicBytes() throws IOException {
    Path cvy = dir.resolve("m.cvy");
    CvyWriter.write(SampleGraphs.conv(), cvy);
    assertTrue(CvyFormat.looksLikeCvy(cvy));
    Path renamed = Files.copy(cvy, dir.resolve("model.bin"));
    assertTrue(CvyFormat.looksLikeCvy(renamed));
    assertFalse(CvyFormat.looksLikeCvy(Files.write(dir.resolve("x.onnx"), new byte[] {8, 7})));
    assertFalse(CvyFormat.looksLikeCvy(Files.writeString(dir.resolve("g.txt"),
        GraphPrinter.print(SampleGraphs.conv()))));
    assertFalse(CvyFormat.looksLikeCvy(dir.resolve("absent.cvy")));
    assertFalse(CvyFormat.looksLikeCvy(dir));
  }

  @Test
  void overwritingAMappedFileLeavesTheMappingIntact() {
    Path file = dir.resolve("m.cvy");
    Graph g = SampleGraphs.bigTensors();
    CvyWriter.write(g, file);
    Graph mapped = CvyReader.read(file);
    CvyWriter.write(SampleGraphs.conv(), file);
    assertEquals(g, mapped);
    assertEquals(SampleGraphs.conv(), CvyReader.read(file));
  }
}

package dev.convoy.runners.cluster;

import static dev.convoy.pipeline.Warehouses.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.runners.runner.Runner;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded worker memory: a model with 3 GiB of external weights (three 1 GiB MatMul weights,
 * generated here) goes through the whole pipeline on a Flink TaskManager whose JVM heap is 1 GiB.
 * Weights travel as memory-mapped files and blobs, never through the runner or the heap; the
 * artifact is written as ONNX with external data. Tagged {@code large}: it writes ~18 GiB to the
 * temp folder (skipped with a message below 24 GiB free) and takes about 5 minutes on 2 busy
 * cores.
 */
@Tag("large")
class LargeModelClusterTest {
  private static final int N = 16384;
  private static final long HEAP = 1L << 30;

  @TempDir Path tmp;

  @Test
  void threeGibModelRunsOnATaskManagerWithOneGibHeap() throws Exception {
    long free = Files.getFileStore(tmp).getUsableSpace();
    assumeTrue(free > 24L << 30, "needs 24 GiB free in " + tmp + ", has " + (free >> 30) + " GiB");
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    writeModel(zoo.resolve("big.onnx"), 3);
    Path dir = tmp.resolve("cluster");
    Thread cleanup = new Thread(() -> LocalCluster.stop(dir));
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      LocalCluster c = LocalCluster.start(new LocalCluster.Spec(dir,
          Zoos.bundled().getParent().getParent().resolve("configs/flink/config.yaml"), 1, 1,
          freePort(), freePort(), Map.of("taskmanager.memory.framework.heap.size", "128m",
              "taskmanager.memory.task.heap.size", "896m")));
      List<String> tmArgs = c.taskManager(1).orElseThrow().info().arguments().map(List::of)
          .orElse(List.of());
      assertTrue(tmArgs.contains("-Xmx" + HEAP), "TaskManager heap is 1 GiB: " + tmArgs);

      RunSummary s = ZooRun.run(RunConfig.of(zoo, tmp.resolve("out")).withRunId("big")
          .withLevel(Level.O1).withTarget("onnx"), Runner.FLINK_CLUSTER.execution(c.master(), 1, "big"),
          new PrintStream(new ByteArrayOutputStream(), true));
      assertEquals(1, s.modelsOk(), () -> failures(s));
      assertEquals(List.of("true"), query(s.warehouse(),
          "SELECT passed FROM read_parquet('%s/verifications/*/*.parquet')"));
      String artifact = query(s.warehouse(),
          "SELECT artifact FROM read_parquet('%s/models/*/*.parquet')").get(0);
      Graph written = Models.load(s.artifacts().resolve(artifact));
      assertEquals(3L << 30, written.initializers().stream().map(Value::constant)
          .mapToLong(t -> t.byteSize()).sum());
      try (Stream<Path> files = Files.list(s.artifacts())) {
        assertTrue(files.anyMatch(f -> f.toString().endsWith(".data") && size(f) >= 3L << 30),
            "the artifact keeps its weights in external data");
      }
    } finally {
      LocalCluster.stop(dir);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  /** {@code y = x W1 ... Wk}, x of [1, N], each W [N, N] float (1 GiB) in {@code file.data}. */
  private static void writeModel(Path file, int layers) throws IOException {
    Path data = file.resolveSibling(file.getFileName() + ".data");
    long bytes = 4L * N * N;
    OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("big")
        .addInput(value("x")).addOutput(value("y" + layers));
    ByteBuffer chunk = ByteBuffer.allocateDirect(64 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      long seed = 0x9E3779B97F4A7C15L;
      for (int l = 0; l < layers; l++) {
        for (long done = 0; done < bytes; ) {
          chunk.clear();
          while (chunk.hasRemaining()) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            // Uniform in [-1/128, 1/128): activations keep a scale near 1 through the layers.
            chunk.putFloat(((seed >>> 40) - (1L << 23)) / (float) (1L << 30));
          }
          chunk.flip();
          while (chunk.hasRemaining()) {
            done += ch.write(chunk);
          }
        }
        String w = "w" + l;
        g.addInitializer(OnnxMl.TensorProto.newBuilder().setName(w).addDims(N).addDims(N)
            .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
            .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", data.getFileName().toString()))
            .addExternalData(entry("offset", String.valueOf(l * bytes)))
            .addExternalData(entry("length", String.valueOf(bytes))));
        g.addNode(OnnxMl.NodeProto.newBuilder().setOpType("MatMul").setName("mm" + l)
            .addInput(l == 0 ? "x" : "y" + l).addInput(w).addOutput("y" + (l + 1)));
      }
    }
    OnnxMl.ModelProto m = OnnxMl.ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .setGraph(g).build();
    Files.write(file, m.toByteArray());
  }

  private static OnnxMl.ValueInfoProto value(String name) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(1))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(N));
    return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }

  private static OnnxMl.StringStringEntryProto entry(String k, String v) {
    return OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static String failures(RunSummary s) {
    try {
      return String.join("\n", query(s.warehouse(), "SELECT stage || ': ' || message FROM "
          + "read_parquet('%s/failures/*/*.parquet')"));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

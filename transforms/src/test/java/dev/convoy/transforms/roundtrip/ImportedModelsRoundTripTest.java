package dev.convoy.transforms.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.format.CvyFormat;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.GraphDiff;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.text.GraphPrinter;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The laws {@code parse(print(g)) == g} and {@code read(write(g)) == g} over every imported model
 * of the dev set and every ONNX node test, so that the text form and the .cvy format hold all
 * that real models carry (names, types, attributes, subgraphs, weights), not only what hand-built
 * graphs exercise. Imported graphs must also pass the structural verifier.
 */
class ImportedModelsRoundTripTest {
  @TempDir Path dir;
  private long printNanos;
  private long parseNanos;

  /** Problems of one model's round trips, empty when both laws hold. */
  private List<String> roundTrip(String label, Graph g) {
    List<String> problems = new ArrayList<>();
    long t0 = System.nanoTime();
    String text = GraphPrinter.print(g);
    long t1 = System.nanoTime();
    Graph fromText = GraphParser.parse(text, label + ".txt");
    printNanos = t1 - t0;
    parseNanos = System.nanoTime() - t1;
    String d = GraphDiff.first(g, fromText);
    if (d != null) {
      problems.add(label + ": text round trip: " + d);
    } else if (!text.equals(GraphPrinter.print(fromText))) {
      problems.add(label + ": text form is not canonical");
    }
    Path file = dir.resolve("model.cvy");
    CvyWriter.write(g, file);
    Graph fromCvy = CvyReader.read(file);
    d = GraphDiff.first(g, fromCvy);
    if (d != null) {
      problems.add(label + ": .cvy round trip: " + d);
    }
    for (Value v : fromCvy.initializers()) {
      if (v.constant().byteSize() > 0 && !v.constant().isMapped()
          && v.constant().dtype() != DType.STRING && CvyFormat.splatElement(v.constant()) == null) {
        problems.add(label + ": initializer %" + v.name() + " read from .cvy is not mapped");
      }
    }
    return problems;
  }

  @Test
  void devModelsSurviveTextAndCvyRoundTrips() {
    List<Path> models = TestData.devModelFiles();
    List<String> problems = new ArrayList<>();
    long roundTripNanos = 0;
    long bytes = 0;
    for (Path m : models) {
      Graph g = OnnxImporter.importFile(m);
      GraphVerifier.verify(g).forEach(p -> problems.add(m.getFileName() + ": verifier: " + p));
      long t0 = System.nanoTime();
      problems.addAll(roundTrip(m.getFileName().toString(), g));
      roundTripNanos += System.nanoTime() - t0;
      long size = m.toFile().length();
      bytes += size;
      if (size > 20_000_000) {
        System.out.printf("%s (%.1f MB): print %d ms, parse %d ms%n", m.getFileName(), size / 1e6,
            printNanos / 1_000_000, parseNanos / 1_000_000);
      }
    }
    System.out.printf("dev set: %d models (%.1f MB) round-tripped through text and .cvy in %d ms,"
        + " %d problems%n", models.size(), bytes / 1e6, roundTripNanos / 1_000_000,
        problems.size());
    assertEquals(List.of(), problems);
    assertTrue(models.size() >= 20, "dev set has " + models.size() + " models");
  }

  @Test
  void nodeTestModelsSurviveTextAndCvyRoundTrips() {
    List<Path> dirs = TestData.nodeTestDirs();
    List<String> problems = new ArrayList<>();
    List<String> notImported = new ArrayList<>();
    int checked = 0;
    long t0 = System.nanoTime();
    for (Path d : dirs) {
      Graph g;
      try {
        g = OnnxImporter.importFile(d.resolve("model.onnx"));
      } catch (ConvoyException e) {
        notImported.add(d.getFileName() + ": " + e.getMessage());
        continue;
      }
      checked++;
      GraphVerifier.verify(g).forEach(p -> problems.add(d.getFileName() + ": verifier: " + p));
      problems.addAll(roundTrip(d.getFileName().toString(), g));
    }
    System.out.printf("node tests: %d of %d imported and round-tripped in %d ms, %d problems;"
        + " %d not imported%n", checked, dirs.size(), (System.nanoTime() - t0) / 1_000_000,
        problems.size(), notImported.size());
    notImported.stream().limit(10).forEach(s -> System.out.println("  not imported: " + s));
    assertEquals(List.of(), problems);
    // Today's count: all but 4 float8e8m0 cast tests (element type 24) and 3 opset-1 Not tests.
    assertTrue(checked >= 1795, checked + " of " + dirs.size() + " imported, 1795 before");
  }
}

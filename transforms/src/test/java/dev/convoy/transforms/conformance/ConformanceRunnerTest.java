package dev.convoy.transforms.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.conformance.ConformanceRunner.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConformanceRunnerTest {
  @Test
  void comparesFloatsWithinToleranceAndIntegersExactly() {
    NdArray want = NdArray.ofFloats(new long[] {2}, 1f, 100f);
    assertNull(ConformanceRunner.compare(NdArray.ofFloats(new long[] {2}, 1.000005f, 100.09f),
        want));
    assertNotNull(ConformanceRunner.compare(NdArray.ofFloats(new long[] {2}, 1.1f, 100f), want));
    assertNotNull(ConformanceRunner.compare(NdArray.ofLongs(new long[] {1}, 3),
        NdArray.ofLongs(new long[] {1}, 4)));
    assertNotNull(ConformanceRunner.compare(NdArray.ofFloats(new long[] {1, 2}, 1f, 100f), want),
        "shape must match exactly");
    assertNotNull(ConformanceRunner.compare(
        NdArray.wrap(DType.DOUBLE, new long[] {2}, new double[] {1, 100}), want));
  }

  @Test
  void comparesSequencesItemByItem() {
    var a = new RuntimeValue.SequenceValue(null, List.of(NdArray.scalarLong(1)));
    var b = new RuntimeValue.SequenceValue(null, List.of(NdArray.scalarLong(2)));
    assertNotNull(ConformanceRunner.compare(a, b));
    assertNull(ConformanceRunner.compare(a, a));
  }

  @Test
  void runsMatchingTestsAndWritesAReport(@TempDir Path tmp) throws Exception {
    Path dir = TestData.nodeTests();
    var report = ConformanceRunner.run(dir, "test_relu");
    assertEquals(1, report.results().size());
    assertEquals(Status.PASSED, report.results().get(0).status(), report.results().toString());
    Path tsv = tmp.resolve("r.tsv");
    report.writeTsv(tsv);
    assertTrue(Files.readString(tsv).contains("test_relu\tpassed\tRelu"));
    assertEquals("1 passed, 0 failed, 0 skipped", report.summary().line());
  }

  @Test
  void readsSequenceInputs() {
    var report = ConformanceRunner.run(TestData.nodeTests(), "test_identity_sequence");
    assertEquals(Status.PASSED, report.results().get(0).status(), report.results().toString());
  }
}

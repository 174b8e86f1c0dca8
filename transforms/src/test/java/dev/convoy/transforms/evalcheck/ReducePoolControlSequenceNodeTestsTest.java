package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.conformance.ConformanceRunner;
import dev.convoy.transforms.conformance.ConformanceRunner.Status;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every ONNX node test of the reduction, pooling, control-flow, sequence/optional, recurrent
 * and NonMaxSuppression families passes: none fails and none is skipped (each family implements
 * every mode its tests use). The floor per family is its test count in the snapshot, so a test
 * that stops matching the glob shows up too.
 */
class ReducePoolControlSequenceNodeTestsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "reductions; test_{reduce,argmax,argmin}*; 163",
      "pooling; test_{maxpool,averagepool,lppool,global,maxunpool,roialign}*; 56",
      "control flow; test_{if,loop,scan}*; 10",
      "sequences and optionals; test_{sequence,split_to,concat_from,optional}*; 28",
      "recurrent; test_{lstm,gru,rnn,simple_rnn}*; 12",
      "detection; test_nonmaxsuppression*; 10"})
  void everyNodeTestOfTheFamilyPasses(String family, String glob, int count) {
    var report = ConformanceRunner.run(TestData.nodeTests(), glob);
    List<String> notPassed = report.results().stream()
        .filter(r -> r.status() != Status.PASSED)
        .map(r -> r.name() + " " + r.status() + ": " + r.message())
        .toList();
    assertTrue(notPassed.isEmpty(), family + ": " + String.join("\n", notPassed));
    assertEquals(count, report.summary().passed(), family + " pass count");
  }
}

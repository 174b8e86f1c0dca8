package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The level pipelines compose: each one starts with the whole of the level below. */
class LevelPipelinesTest {
  private static PassPipeline level(Level l) {
    return Optimizer.Pipelines.forLevel(l);
  }

  @Test
  void o1IsInsideO2IsInsideO3() {
    for (Level[] pair : new Level[][] {{Level.O1, Level.O2}, {Level.O2, Level.O3}}) {
      List<PassPipeline.Step> lower = level(pair[0]).steps();
      List<PassPipeline.Step> upper = level(pair[1]).steps();
      assertTrue(upper.size() >= lower.size(), pair[1] + " is shorter than " + pair[0]);
      assertEquals(lower, upper.subList(0, lower.size()), pair[1] + " does not start with " + pair[0]);
    }
  }

  @Test
  void o2AddsFusionsToO1() {
    var extra = new HashSet<>(level(Level.O2).names());
    extra.removeAll(level(Level.O1).names());
    assertTrue(extra.stream().anyMatch(n -> n.startsWith("fuse-")), extra.toString());
  }

  @Test
  void includeOfAnUnknownLevelIsAnError() {
    var e = assertThrows(OptimizeException.class,
        () -> PassPipeline.parse("include O7\n", "p.txt"));
    assertTrue(e.getMessage().contains("p.txt:1") && e.getMessage().contains("O7"), e.getMessage());
  }

  @Test
  void includedStepsPrintExpandedAndParseBack() {
    PassPipeline p = PassPipeline.parse("include O1\ncse\n", "p.txt");
    assertEquals(level(Level.O1).steps().size() + 1, p.steps().size());
    assertEquals(p, PassPipeline.parse(p.print(), "printed"));
  }
}

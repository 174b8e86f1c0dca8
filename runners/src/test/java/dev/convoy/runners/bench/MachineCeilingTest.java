package dev.convoy.runners.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.zoo.ModelRef;
import dev.convoy.pipeline.zoo.SynthZoo;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineCeilingTest {
  @Test
  void sampleHoldsEveryKindOfTheZoo(@TempDir Path dir) {
    SynthZoo.generate(40, 7, dir);
    Set<String> kinds = kinds(dev.convoy.pipeline.zoo.ZooIO.list(dir));
    List<ModelRef> sample = MachineCeiling.sample(dir, 12);
    assertEquals(12, sample.size());
    assertEquals(kinds, kinds(sample), "a stride over the sorted listing meets every kind");
  }

  @Test
  void speedUpIsTwiceOneWorkersWallOverTwoWorkers() {
    MachineCeiling.Result r = new MachineCeiling.Result("t", 10, List.of(
        new MachineCeiling.Round(1, 10.0, List.of(4.0), 0.5, 0, 0),
        new MachineCeiling.Round(2, 12.5, List.of(5.0, 5.0), 0.2, 0, 0),
        new MachineCeiling.Round(1, 30.0, List.of(4.0), 0.1, 0, 0),
        new MachineCeiling.Round(2, 12.5, List.of(5.0, 5.0), 0.2, 0, 0),
        new MachineCeiling.Round(1, 11.0, List.of(4.0), 0.1, 0, 0),
        new MachineCeiling.Round(2, 99.0, List.of(5.0, 5.0), 0.2, 0, 0)));
    // Medians: 11 s for one worker (30 s is the outlier), 12.5 s for two workers' double work.
    assertEquals(2 * 11.0 / 12.5, r.speedup(), 1e-9);
    // The same pass costs 4 CPU s alone and 5 side by side: 2 x 4 / 5.
    assertEquals(1.6, r.cpuSpeedup(), 1e-9);
  }

  @Test
  void threadGroupsFoldNumbers() {
    JvmCpu before = new JvmCpu(0, 0, 0, java.util.Map.of("pool-#-thread-#", 1.0));
    JvmCpu after = new JvmCpu(1, 0, 2, new java.util.LinkedHashMap<>(java.util.Map.of(
        "pool-#-thread-#", 4.0, "C# CompilerThre", 1.0)));
    assertEquals("pool-#-thread-# 3.0, C# CompilerThre 1.0", after.minus(before).top(2));
    JvmCpu mine = JvmCpu.of(ProcessHandle.current().pid());
    assertTrue(mine.total() > 0 && !mine.byThread().isEmpty(), "this JVM's own /proc times");
  }

  private static Set<String> kinds(List<ModelRef> models) {
    Set<String> out = new TreeSet<>();
    models.forEach(m -> out.add(m.name().replaceAll("_\\d+.*$", "")));
    return out;
  }
}

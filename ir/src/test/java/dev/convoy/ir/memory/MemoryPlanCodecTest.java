package dev.convoy.ir.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryPlanCodecTest {
  private static final MemoryPlan SUB = new MemoryPlan(64, 64, 128, "in-order-best-fit", 1, 0,
      List.of(new MemoryPlan.Allocation("body/a", 0, 64, 0, 1, null),
          new MemoryPlan.Allocation("body b", 0, 64, 1, 2, "body/a")),
      List.of(), Map.of());
  private static final MemoryPlan PLAN = new MemoryPlan(192, 128, 256, "greedy-by-size", 0, 1,
      List.of(new MemoryPlan.Allocation("x:0", 0, 128, 0, 3, null),
          new MemoryPlan.Allocation("r~%", 0, 128, 1, 2, "x:0"),
          new MemoryPlan.Allocation("y\nz", 128, 64, 2, 4, null)),
      List.of("dyn amic"), Map.of("3.0", SUB, "3.1", SUB));

  @Test
  void planRoundTripsWithNestedSubgraphsAndAwkwardNames() {
    String text = MemoryPlanCodec.encode(PLAN);
    assertTrue(text.startsWith("convoy-memory-plan 1\n"), text);
    assertEquals(PLAN, MemoryPlanCodec.decode(text));
  }

  @Test
  void newerVersionIsRefusedByName() {
    String text = MemoryPlanCodec.encode(PLAN).replaceFirst("plan 1", "plan 2");
    var e = assertThrows(InvalidModelException.class, () -> MemoryPlanCodec.decode(text));
    assertTrue(e.getMessage().contains("version 2 is newer"), e.getMessage());
  }

  @Test
  void damagedLinesAreNamed() {
    String text = MemoryPlanCodec.encode(PLAN);
    String badNumber = text.replace("alloc x%3A0 0 128", "alloc x%3A0 0 12x");
    var e = assertThrows(InvalidModelException.class, () -> MemoryPlanCodec.decode(badNumber));
    assertTrue(e.getMessage().contains("line 3") && e.getMessage().contains("12x"),
        e.getMessage());
    String unclosed = text.substring(0, text.lastIndexOf("}\n"));
    e = assertThrows(InvalidModelException.class, () -> MemoryPlanCodec.decode(unclosed));
    assertTrue(e.getMessage().contains("not closed"), e.getMessage());
    e = assertThrows(InvalidModelException.class,
        () -> MemoryPlanCodec.decode(text + "bogus 1\n"));
    assertTrue(e.getMessage().contains("bogus"), e.getMessage());
  }
}

package dev.convoy.pipeline.element;

/**
 * The arena plan of a model's intermediates: a {@code memory_plans} row. {@code lowerBoundBytes}
 * is LOAD; {@code skipped} counts intermediates without a static shape, which the plan leaves
 * out; {@code planner} names the planner whose plan was kept; {@code inPlace} and {@code aliased}
 * count the outputs sharing an input's bytes.
 */
public record MemoryPlanSummary(long arenaBytes, long lowerBoundBytes, long naiveBytes,
    int plannedTensors, int skippedTensors, String planner, int inPlace, int aliased) {}

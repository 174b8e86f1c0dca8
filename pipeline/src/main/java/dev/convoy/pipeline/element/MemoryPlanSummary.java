package dev.convoy.pipeline.element;

/**
 * The arena plan of a model's intermediates: a {@code memory_plans} row. {@code skipped} counts
 * intermediates without a static shape, which the plan leaves out.
 */
public record MemoryPlanSummary(long arenaBytes, long lowerBoundBytes, long naiveBytes,
    int plannedTensors, int skippedTensors) {}

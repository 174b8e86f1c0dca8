package dev.convoy.pipeline.element;

/**
 * The numeric comparison of a model's result against its original on seeded inputs: a {@code
 * verifications} row. {@code oracle} says what ran the original (e.g. {@code ort}).
 */
public record Verification(String oracle, double maxAbsError, double maxRelError, double cosine,
    boolean passed, String detail) {}

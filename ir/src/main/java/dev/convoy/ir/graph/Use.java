package dev.convoy.ir.graph;

/** One use of a {@link Value}: input {@code index} of {@code node}. */
public record Use(Node node, int index) {}

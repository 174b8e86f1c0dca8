package dev.convoy.pipeline.element;

/** A written artifact: its content-hash file name, format, size and the report beside it. */
public record Artifact(String file, String format, long sizeBytes, String report) {}

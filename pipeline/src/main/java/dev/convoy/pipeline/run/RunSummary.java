package dev.convoy.pipeline.run;

import java.nio.file.Path;

/**
 * The outcome of a zoo run: counts, where its output went, and the figures throughput is computed
 * from (converted nodes of the written models, optimizer time summed over workers).
 */
public record RunSummary(
    String runId,
    Path out,
    int modelsTotal,
    int modelsOk,
    int modelsFailed,
    long elapsedMillis,
    long nodesConverted,
    long optimizeMillis) {

  public Path warehouse() {
    return out.resolve("warehouse");
  }

  public Path artifacts() {
    return out.resolve("artifacts");
  }

  /** 0 when every model was written, 1 when some failed. */
  public int exitCode() {
    return modelsFailed == 0 ? 0 : 1;
  }
}

package dev.convoy.pipeline.run;

import java.nio.file.Path;

/**
 * The outcome of a zoo run: counts (a written model whose result disagrees with its original on
 * the seeded inputs is a verification mismatch), where its output went, and the figures throughput is computed
 * from (converted nodes of the written models, optimizer time summed over workers).
 */
public record RunSummary(
    String runId,
    Path out,
    int modelsTotal,
    int modelsOk,
    int modelsFailed,
    int verificationMismatches,
    long elapsedMillis,
    long nodesConverted,
    long optimizeMillis) {

  public Path warehouse() {
    return out.resolve("warehouse");
  }

  public Path artifacts() {
    return out.resolve("artifacts");
  }

  /** 0 when every model was written and verified, 1 when some failed or mismatched. */
  public int exitCode() {
    return modelsFailed == 0 && verificationMismatches == 0 ? 0 : 1;
  }
}

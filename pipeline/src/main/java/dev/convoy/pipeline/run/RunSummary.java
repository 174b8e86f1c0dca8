package dev.convoy.pipeline.run;

import dev.convoy.pipeline.storage.Storage;
import java.nio.file.Path;

/**
 * The outcome of a zoo run: counts (a written model whose result disagrees with its original on
 * the seeded inputs is a verification mismatch), where its output went (a location of any Beam
 * filesystem), and the figures throughput is computed
 * from (converted nodes of the written models, optimizer time summed over workers).
 */
public record RunSummary(
    String runId,
    String out,
    int modelsTotal,
    int modelsOk,
    int modelsFailed,
    int verificationMismatches,
    long elapsedMillis,
    long nodesConverted,
    long optimizeMillis) {

  /** The warehouse folder, where the output location is local. */
  public Path warehouse() {
    return local().resolve("warehouse");
  }

  /** The artifacts folder, where the output location is local. */
  public Path artifacts() {
    return local().resolve("artifacts");
  }

  private Path local() {
    return Storage.localPath(out).orElseThrow(() -> new IllegalStateException(
        out + " is not on the local filesystem"));
  }

  /** 0 when every model was written and verified, 1 when some failed or mismatched. */
  public int exitCode() {
    return modelsFailed == 0 && verificationMismatches == 0 ? 0 : 1;
  }
}

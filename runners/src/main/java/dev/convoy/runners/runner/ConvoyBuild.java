package dev.convoy.runners.runner;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * One build of Convoy's own classes, as {@link JobJar#build} identifies it: the content hash of
 * its class and resource files and the modification time of the newest. A cluster records the build
 * it was started with, and a run compares it with its own before it submits, so a job never runs
 * on a cluster whose parent-first Convoy classes are older (or newer) than the client's.
 */
public record ConvoyBuild(String hash, Instant builtAt) {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  public ConvoyBuild {
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(builtAt, "builtAt");
  }

  /** The build of this JVM's classpath. */
  public static ConvoyBuild ofThisClasspath() {
    return JobJar.build(JobJar.convoyEntries());
  }

  /** The first 12 hex digits of the hash, as messages show it. */
  public String shortHash() {
    return hash.substring(0, Math.min(12, hash.length()));
  }

  /** {@code <short hash> from <build time>}. */
  @Override
  public String toString() {
    return shortHash() + " from " + TIME.format(builtAt);
  }
}

package dev.convoy.pipeline.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL never runs its shutdown hook and leaves {@code
 * convoy-storage-<pid>}; the next JVM removes the folders of processes that are gone, and no
 * other.
 */
class StaleCacheTest {
  @TempDir Path tmp;

  @Test
  void deletesTheCachesOfDeadProcessesOnly() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    long dead = p.pid();
    Path stale = Files.createDirectories(tmp.resolve("convoy-storage-" + dead + "/scratch"))
        .getParent();
    Files.writeString(stale.resolve("scratch/left.onnx"), "weights");
    Path alive = Files.createDirectories(
        tmp.resolve("convoy-storage-" + ProcessHandle.current().pid()));
    Path other = Files.createDirectories(tmp.resolve("convoy-storage-notapid"));
    Path unrelated = Files.createDirectories(tmp.resolve("something-" + dead));

    assertEquals(List.of(stale), Storage.deleteStaleCaches(tmp));
    assertFalse(Files.exists(stale));
    assertTrue(Files.isDirectory(alive) && Files.isDirectory(other)
        && Files.isDirectory(unrelated));
  }
}

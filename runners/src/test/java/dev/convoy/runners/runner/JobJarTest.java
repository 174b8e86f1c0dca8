package dev.convoy.runners.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job jar's build identity: what a cluster records at start and a run compares. */
class JobJarTest {
  @TempDir Path tmp;

  @Test
  void buildHashIsTheSameForModuleFoldersAndTheJarPackedFromThem() throws IOException {
    List<Path> folders = modules("A", "b");
    Path jar = JobJar.pack(folders, tmp.resolve("job.jar"));
    assertEquals(JobJar.build(folders).hash(), JobJar.build(List.of(jar)).hash());
    assertEquals(JobJar.build(folders).hash(),
        JobJar.build(List.of(folders.get(1), folders.get(0))).hash(),
        "the hash does not depend on the order of distinct files");
  }

  @Test
  void buildHashChangesWithOneByteOfOneClass() throws IOException {
    String before = JobJar.build(modules("A", "b")).hash();
    assertNotEquals(before, JobJar.build(modules("A", "c")).hash());
  }

  @Test
  void buildHashChangesWhenAClassIsRenamed() throws IOException {
    List<Path> folders = modules("A", "b");
    String before = JobJar.build(folders).hash();
    Path pkg = folders.get(1).resolve("dev/convoy/pipeline");
    Files.move(pkg.resolve("Stage.class"), pkg.resolve("Stages.class"));
    assertNotEquals(before, JobJar.build(folders).hash());
  }

  /** Two module folders, each with one class whose content is the given text. */
  private List<Path> modules(String ir, String pipeline) throws IOException {
    Path root = Files.createTempDirectory(tmp, "build");
    Path a = Files.createDirectories(root.resolve("ir/dev/convoy/ir"));
    Files.writeString(a.resolve("Graph.class"), ir);
    Path b = Files.createDirectories(root.resolve("pipeline/dev/convoy/pipeline"));
    Files.writeString(b.resolve("Stage.class"), pipeline);
    return List.of(root.resolve("ir"), root.resolve("pipeline"));
  }
}

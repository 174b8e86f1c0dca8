package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import org.junit.jupiter.api.Test;

/** The launcher's @argfile: the CLI jar and its runtime classpath, never test code. */
class LauncherArgsTest {
  private static final String SEP = File.pathSeparator;

  @Test
  void writesTheJarThenItsDependencies() {
    assertEquals("-cp \"/r/convoy-runners.jar" + SEP + "/m2/picocli.jar" + SEP + "/m2/beam.jar\"\n",
        LauncherArgs.argFile("/r/convoy-runners.jar", "/m2/picocli.jar" + SEP + "/m2/beam.jar"));
  }

  @Test
  void refusesTestJarsAndTestClasses() {
    for (String test : new String[] {"/m2/convoy-pipeline-0.1.0-SNAPSHOT-tests.jar",
        "/work/pipeline/target/test-classes"}) {
      var e = assertThrows(IllegalStateException.class,
          () -> LauncherArgs.argFile("/r/convoy-runners.jar", "/m2/picocli.jar" + SEP + test));
      assertTrue(e.getMessage().contains(test), e.getMessage());
    }
  }
}

package dev.convoy.runners;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build-time helper: writes the java @argfile the {@code ./convoy} launcher uses ({@code -cp} with
 * this module's jar and its runtime dependency classpath), so the command line stays short. The
 * CLI's classpath holds no test code: a test jar or test-classes folder on it (the dependency
 * plugin asked for test scope) fails the build.
 */
public final class LauncherArgs {
  private LauncherArgs() {}

  public static void main(String[] args) throws IOException {
    String deps = Files.readString(Path.of(args[0])).strip();
    Files.writeString(Path.of(args[2]), argFile(Path.of(args[1]).toAbsolutePath().toString(), deps));
  }

  /** The @argfile text for {@code jar} followed by classpath {@code deps}. */
  static String argFile(String jar, String deps) {
    for (String entry : deps.split(File.pathSeparator)) {
      String e = entry.replace('\\', '/');
      if (e.endsWith("-tests.jar") || e.endsWith("/test-classes") || e.contains("/test-classes/")) {
        throw new IllegalStateException("test code on the CLI classpath: " + entry
            + " (the classpath file must be built with includeScope runtime)");
      }
    }
    String cp = jar + (deps.isEmpty() ? "" : File.pathSeparator + deps);
    return "-cp \"" + cp.replace("\\", "\\\\") + "\"\n";
  }
}

package dev.convoy.runners;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build-time helper: writes the java @argfile the {@code ./convoy} launcher uses ({@code -cp} with
 * this module's jar and its dependency classpath), so the command line stays short.
 */
public final class LauncherArgs {
  private LauncherArgs() {}

  public static void main(String[] args) throws IOException {
    String deps = Files.readString(Path.of(args[0])).strip();
    String cp = Path.of(args[1]).toAbsolutePath() + (deps.isEmpty() ? "" : java.io.File.pathSeparator + deps);
    Files.writeString(Path.of(args[2]), "-cp \"" + cp.replace("\\", "\\\\") + "\"\n");
  }
}

package dev.convoy.pipeline.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Workers reach models, blobs, artifacts and the warehouse only through {@link Storage} (Beam's
 * FileSystems), so that {@code --out} may be any filesystem scheme: no source file that defines a
 * DoFn may build a local path or touch {@code java.nio.file.Files} itself.
 */
class NoLocalPathsInDoFnsTest {
  private static final Pattern DOFN = Pattern.compile("extends\\s+(DoFn|StageFn)<");
  private static final Pattern LOCAL_IO = Pattern.compile(
      "\\bPath\\.of\\(|\\bPaths\\.get\\(|\\bFiles\\.|new File\\(|\\.toFile\\(\\)|\\.resolve\\(");

  @Test
  void doFnSourcesUseStorageNotLocalPaths() throws Exception {
    Path main = Path.of("src/main/java/dev/convoy/pipeline");
    List<Path> sources;
    try (Stream<Path> s = Files.walk(main)) {
      sources = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
    List<String> offences = new ArrayList<>();
    int doFnFiles = 0;
    for (Path f : sources) {
      List<String> lines = Files.readAllLines(f);
      if (lines.stream().noneMatch(l -> DOFN.matcher(l).find())) {
        continue;
      }
      doFnFiles++;
      for (int i = 0; i < lines.size(); i++) {
        String code = lines.get(i).replaceAll("//.*|^\\s*\\*.*", "");
        if (LOCAL_IO.matcher(code).find()) {
          offences.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
        }
      }
    }
    assertTrue(doFnFiles >= 10, "found the DoFn sources: " + doFnFiles);
    assertEquals(List.of(), offences, "local file access in DoFn sources");
  }
}

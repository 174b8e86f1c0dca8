package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import rules {@code docs/architecture.md} states, checked on every main source file of every
 * module: what each layer and package may not name, whether by import or by a fully qualified
 * name in code (comments and string literals do not count).
 */
class ArchitectureTest {
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?([\\w.]+?)(?:\\.\\*)?;", Pattern.MULTILINE);
  private static final Pattern QUALIFIED =
      Pattern.compile("(?<![\\w.])((?:dev\\.convoy|org\\.apache|ai\\.onnx)(?:\\.\\w+)+)");

  record Source(String path, String pkg, List<String> refs) {}

  private static List<Source> sources;

  @BeforeAll
  static void scan() throws IOException {
    Path root = repositoryRoot();
    List<Source> all = new ArrayList<>();
    for (String module : List.of("ir", "transforms", "pipeline", "runners")) {
      Path src = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(src)) {
        files.filter(p -> p.toString().endsWith(".java")).forEach(p -> {
          try {
            String text = Files.readString(p);
            Matcher m = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(text);
            String pkg = m.find() ? m.group(1) : "";
            all.add(new Source(root.relativize(p).toString(), pkg, references(text)));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
    assertTrue(all.size() > 200, "found only " + all.size() + " sources under " + root);
    sources = all;
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("ir/src/main/java"))
          && Files.isDirectory(p.resolve("runners/src/main/java"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "repository root not found above " + Path.of("").toAbsolutePath());
  }

  /** Every imported name and every fully qualified name used in code. */
  static List<String> references(String javaSource) {
    String code = javaSource
        .replaceAll("(?s)/\\*.*?\\*/", " ")
        .replaceAll("//[^\n]*", " ")
        .replaceAll("\"(?:[^\"\\\\\n]|\\\\.)*\"", "\"\"");
    List<String> refs = new ArrayList<>();
    Matcher imports = IMPORT.matcher(code);
    while (imports.find()) {
      refs.add(imports.group(1));
    }
    String body = IMPORT.matcher(code).replaceAll("").replaceAll("(?m)^package [\\w.]+;", "");
    Matcher qualified = QUALIFIED.matcher(body);
    while (qualified.find()) {
      refs.add(qualified.group(1));
    }
    return refs;
  }

  /** {@code path: reference} for every reference of a matching source the rule forbids. */
  private static List<String> violations(BiPredicate<Source, String> forbidden) {
    List<String> out = new ArrayList<>();
    for (Source s : sources) {
      for (String ref : s.refs()) {
        if (forbidden.test(s, ref)) {
          out.add(s.path() + ": " + ref);
        }
      }
    }
    return out;
  }

  private static boolean in(Source s, String pkg) {
    return s.pkg().equals(pkg) || s.pkg().startsWith(pkg + ".");
  }

  private static boolean under(String ref, String pkg) {
    return ref.equals(pkg) || ref.startsWith(pkg + ".");
  }

  @Test
  void findsImportsAndQualifiedNamesButNotComments() {
    String src = "package a;\nimport dev.convoy.ir.graph.Graph;\nimport static java.util.List.of;\n"
        + "/** See {@link dev.convoy.pipeline.Doc}. */\nclass A {\n"
        + "  // dev.convoy.runners.Comment\n"
        + "  String s = \"dev.convoy.transforms.InAString\";\n"
        + "  Object o = new dev.convoy.transforms.optimize.Rule();\n}\n";
    assertEquals(List.of("dev.convoy.ir.graph.Graph", "java.util.List.of",
        "dev.convoy.transforms.optimize.Rule"), references(src));
  }

  @Test
  void irUsesNothingAboveItAndNoLibraryButProtobuf() {
    // The JDK's Vector API module is part of the JDK, not a library (ir.ops.runtime's Vector*).
    assertEquals(List.of(), violations((s, ref) -> in(s, "dev.convoy.ir")
        && !under(ref, "java") && !under(ref, "dev.convoy.ir")
        && !under(ref, "com.google.protobuf") && !under(ref, "jdk.incubator.vector")));
  }

  @Test
  void transformsKnowsNeitherBeamNorThePipelineNorTheCommandLine() {
    assertEquals(List.of(), violations((s, ref) -> in(s, "dev.convoy.transforms")
        && (under(ref, "dev.convoy.pipeline") || under(ref, "dev.convoy.runners")
            || under(ref, "org.apache.beam") || under(ref, "org.apache.flink")
            || under(ref, "picocli"))));
  }

  @Test
  void pipelineKnowsNoRunnerClassAndNoCommandLine() {
    assertEquals(List.of(), violations((s, ref) -> in(s, "dev.convoy.pipeline")
        && (under(ref, "dev.convoy.runners") || under(ref, "picocli")
            || under(ref, "org.apache.beam.runners") || under(ref, "org.apache.flink"))));
  }

  @Test
  void opRuntimeKnowsNoOpFamilyNorTheEvaluator() {
    assertEquals(List.of(), violations((s, ref) -> in(s, "dev.convoy.ir.ops.runtime")
        && (under(ref, "dev.convoy.ir.ops.family") || under(ref, "dev.convoy.ir.eval"))));
  }

  @Test
  void opFamiliesAreReachedOnlyThroughTheCatalog() {
    assertEquals(List.of(), violations((s, ref) -> !in(s, "dev.convoy.ir.ops.family")
        && under(ref, "dev.convoy.ir.ops.family")
        && !(s.path().endsWith("/dev/convoy/ir/ops/OpCatalog.java")
            && ref.equals("dev.convoy.ir.ops.family.OpFamilies"))));
  }

  @Test
  void graphIsTheBottomOfTheIr() {
    assertEquals(List.of(), violations((s, ref) -> in(s, "dev.convoy.ir.graph")
        && under(ref, "dev.convoy.ir") && !under(ref, "dev.convoy.ir.graph")
        && ref.substring("dev.convoy.ir.".length()).contains(".")));
  }
}

package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Models that no runtime can load are refused at import, before any pass: {@code optimize} exits
 * 2 with one line naming the file, the node and what is wrong, and writes nothing. Each model is
 * written as ONNX from the text form, so the file holds exactly the flaw under test.
 */
class BadModelCliTest {
  @TempDir Path tmp;

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private Path write(String name, String text) throws IOException {
    Path p = tmp.resolve(name + ".onnx");
    Files.write(p, OnnxExporter.toBytes(GraphParser.parse(text)));
    return p;
  }

  private static final String HEADER = """
      graph g (%x: float32[2,3]) -> (%y: float32[*]) {
        opset "" 17
      """;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      add_one_input     | %y = Add(%x) @bad_add                                            | bad_add
      concat_ranks      | init %a: float32[2] = [1.0, 2.0]; init %b: float32[1,2] = [3.0, 4.0]; %y = Concat(%a, %b) {axis=0} @bad_concat | bad_concat
      reshape_two_auto  | init %s: int64[2] = [-1, -1]; %y = Reshape(%x, %s) @bad_reshape  | bad_reshape
      duplicate_perm    | %y = Transpose(%x) {perm=[0, 0]} @bad_transpose                  | bad_transpose
      wrong_attr_type   | %y = Transpose(%x) {perm=1.5} @bad_perm_type                     | bad_perm_type
      float_axis        | %y = Concat(%x, %x) {axis=0.5} @bad_axis                         | bad_axis
      """)
  void refusesAtImportNamingFileAndNode(String name, String body, String node)
      throws IOException {
    Path m = write(name, HEADER + body.replace("; ", "\n") + "\n}\n");
    assertRefused(m, node);
  }

  @Test
  void refusesIfBranchesWithDifferentOutputCounts() throws IOException {
    Path m = write("if_branches", """
        graph g (%x: float32[2], %c: bool[]) -> (%y: float32[*]) {
          opset "" 17
          %y = If(%c) {
            then_branch = graph then () -> (%a: float32[2], %b: float32[2]) {
              %a = Neg(%x) @t1
              %b = Abs(%x) @t2
            },
            else_branch = graph else () -> (%e: float32[2]) {
              %e = Relu(%x) @e1
            }
          } @bad_if
        }
        """);
    assertRefused(m, "bad_if");
  }

  @Test
  void refusesAnOpsetNoOnnxReleaseDefines() throws IOException {
    Path m = write("opset99", """
        graph g (%x: float32[2,3]) -> (%y: float32[2,3]) {
          opset "" 99
          %y = Relu(%x) @relu
        }
        """);
    Result r = optimize(m);
    assertEquals(Main.BAD_INPUT, r.exit(), r.out() + r.err());
    assertOneLineNaming(r, m, "99");
  }

  @Test
  void unknownDomainIsRefusedUnlessTheUserAsks() throws IOException {
    Path m = write("unknown_domain", """
        graph g (%x: float32[2,3]) -> (%y: float32[2,3]) {
          opset "" 17
          opset "com.acme" 1
          %t: float32[2,3] = Relu(%x) @relu
          %y = com.acme::Frobnicate(%t) @frob
        }
        """);
    Result r = optimize(m);
    assertEquals(Main.BAD_INPUT, r.exit(), r.out() + r.err());
    assertOneLineNaming(r, m, "frob");
    assertTrue(r.err().contains("com.acme"), r.err());
    assertTrue(r.err().contains("--allow-unknown-domains"), "says how to pass it through: " + r.err());

    Path out = tmp.resolve("unknown_domain.out.onnx");
    Result ok = run("optimize", m.toString(), "-o", out.toString(), "--level", "O1",
        "--allow-unknown-domains");
    assertEquals(Main.OK, ok.exit(), ok.out() + ok.err());
    assertTrue(ok.out().contains("com.acme::Frobnicate") && ok.out().contains("passed through"),
        "says it passed the op through: " + ok.out());
    assertTrue(Files.exists(out));

    Result inspect = run("inspect", m.toString());
    assertEquals(Main.OK, inspect.exit(), "inspect shows the model: " + inspect.err());
    assertTrue(inspect.out().contains("Frobnicate"), inspect.out());
  }

  private Result optimize(Path m) {
    return run("optimize", m.toString(), "-o", tmp.resolve("out.onnx").toString(), "--level",
        "O2");
  }

  private void assertRefused(Path m, String node) {
    Result r = optimize(m);
    assertEquals(Main.BAD_INPUT, r.exit(), r.out() + r.err());
    assertOneLineNaming(r, m, node);
  }

  private void assertOneLineNaming(Result r, Path m, String what) {
    String err = r.err().strip();
    assertFalse(err.contains("\n"), "one line: " + err);
    assertTrue(err.contains(m.toString()), "names the file: " + err);
    assertTrue(err.contains(what), "names " + what + ": " + err);
    assertFalse(Files.exists(tmp.resolve("out.onnx")), "writes nothing");
  }
}

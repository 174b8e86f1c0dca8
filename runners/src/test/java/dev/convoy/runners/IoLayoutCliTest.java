package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.layout.IoLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code optimize --io-layout nhwc}: an O3 .cvy with NHWC inputs; anything else is bad input. */
class IoLayoutCliTest {
  @TempDir Path tmp;

  private static final Path MOBILENET = TestData.devModels().resolve("mobilenet_v2.onnx");

  @Test
  void o3CvyTakesNhwcInputsAndSaysSo() {
    Path out = tmp.resolve("m.cvy");
    var r = CliTest.run("optimize", MOBILENET.toString(), "-o", out.toString(), "--level", "O3",
        "--io-layout", "nhwc");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out);
    assertEquals("inputs=input;outputs=", g.metadata().get(IoLayout.KEY));
    Shape s = g.inputs().get(0).tensorType().shape();
    assertEquals(3, s.dim(3).size(), "channels last: " + s);
  }

  @Test
  void nhwcNeedsAnO3CvyOutput() {
    var r = CliTest.run("optimize", MOBILENET.toString(), "-o", tmp.resolve("m.onnx").toString(),
        "--level", "O3", "--io-layout", "nhwc");
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().contains("--io-layout nhwc needs --level O3 and a .cvy output"), r.err());
  }
}

package dev.convoy.transforms.optimize.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What shape inference may take as a fact: the graph inputs and the ops, not the names or shapes a
 * model declares. Placeholder dim names bind nothing, a real dim name given two sizes is a warning,
 * a branch that cannot run under the given shapes is left as it is, and stale declared shapes never
 * override inferred ones. Each model is built here; ONNX Runtime runs the original and Convoy's O1
 * result on the same inputs and must load every result.
 */
class ShapeFactsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @Test
  void placeholderDimNamesBindNothingInOptimizeAndEval() throws Exception {
    byte[] model = renameDims(OnnxExporter.toBytes(GraphParser.parse("""
        graph g (%image: float32[N,3,H,W], %a: float32[A], %b: float32[B]) -> (
            %y: float32[N,3,H,W], %e: float32[B]) {
          opset "" 13
          %y = Relu(%image) @relu
          %s = Shape(%b) @shape
          %e = Expand(%a, %s) @expand
        }
        """)), Map.of("H", "?", "W", "?", "A", "unk__1", "B", "unk__1"));
    Graph g = OnnxImporter.importBytes(model, "placeholders.onnx", null);
    Map<String, long[]> shapes = Map.of("image", new long[] {1, 3, 256, 384},
        "a", new long[] {1}, "b", new long[] {5});
    OptimizeResult r = Optimizer.optimize(g, o1(shapes));
    Map<String, Tensor> inputs = SeededInputs.generate(g, shapes);
    assertAgreesWithOrt(model, r.graph(), inputs);
    List<String> warnings = new ArrayList<>();
    var out = Evaluator.standard().onWarning(warnings::add).runTensors(g, inputs);
    assertEquals(List.of(), warnings);
    assertTrue(OrtVerifier.compareOutputs(ORT.verifier().run(model, inputs), out,
        OrtVerifier.Tolerance.DEFAULT).pass());
  }

  @Test
  void expandBetweenTwoPlaceholderDimsIsKept() throws Exception {
    byte[] model = renameDims(OnnxExporter.toBytes(GraphParser.parse("""
        graph g (%a: float32[A], %b: float32[B]) -> (%e: float32[B]) {
          opset "" 13
          %s = Shape(%b) @shape
          %e = Expand(%a, %s) @keep_expand
        }
        """)), Map.of("A", "?", "B", "?"));
    Graph g = OnnxImporter.importBytes(model, "placeholders.onnx", null);
    Map<String, long[]> shapes = Map.of("a", new long[] {1}, "b", new long[] {4});
    OptimizeResult r = Optimizer.optimize(g, o1(Map.of()));
    assertAgreesWithOrt(model, r.graph(), SeededInputs.generate(g, shapes));
  }

  @Test
  void realDimNameGivenTwoSizesIsAWarningNamingBothInputs() throws Exception {
    Graph g = GraphParser.parse("""
        graph g (%p: float32[batch,4], %q: float32[batch,4]) -> (%u: float32[batch,4],
            %v: float32[batch,4]) {
          opset "" 13
          %u = Relu(%p) @relu_p
          %v = Neg(%q) @neg_q
        }
        """);
    byte[] model = OnnxExporter.toBytes(g);
    Map<String, long[]> shapes = Map.of("p", new long[] {2, 4}, "q", new long[] {3, 4});
    OptimizeResult r = Optimizer.optimize(g, o1(shapes));
    assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("warning") && n.contains("'batch'")
        && n.contains("'p'") && n.contains("'q'")), r.notes().toString());
    Map<String, Tensor> inputs = SeededInputs.generate(g, shapes);
    assertAgreesWithOrt(model, r.graph(), inputs);
    List<String> warnings = new ArrayList<>();
    Evaluator.standard().onWarning(warnings::add).runTensors(g, inputs);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("'p'") && warnings.get(0).contains("'q'")
        && warnings.get(0).contains("'batch'"), warnings.get(0));
  }

  /**
   * The inner then-branch squeezes the feature axis, which only works when it has size 1; under
   * {@code x=5x1x2} it cannot infer. Inputs with {@code c2} true would fail at run time, so that
   * branch is never taken under these shapes: it must come out as it went in, and ORT must load it.
   */
  @Test
  void branchThatCannotInferUnderFixedShapesIsLeftAsItIs() throws Exception {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[S,1,F], %c1: bool[], %c2: bool[]) -> (%y: float32[S,1,1,2]) {
          opset "" 13
          init %ax: int64[1] = [2]
          init %w1: float32[1,8,1] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]
          init %w2: float32[1,8,2] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, -1.0, 0.2,
              0.3, -0.4, 0.5, 0.6, -0.7]
          init %r: float32[1,8,2] = [0.05, 0.1, -0.1, 0.2, 0.1, -0.2, 0.3, 0.1, -0.05, 0.2, 0.1,
              0.1, -0.3, 0.2, 0.1, 0.05]
          %y = If(%c1) {
            then_branch=graph outer_then () -> (%oy: float32[S,1,1,2]) {
              %oy = If(%c2) {
                then_branch=graph squeezing () -> (%ty: float32[S,1,1,2]) {
                  %sq: float32[S,1] = Squeeze(%x, %ax) @squeeze
                  %us: float32[S,1,1] = Unsqueeze(%sq, %ax) @unsqueeze
                  %ty, %th = LSTM(%us, %w1, %r) {hidden_size=2} @lstm_narrow
                },
                else_branch=graph wide () -> (%ey: float32[S,1,1,2]) {
                  %ey, %eh = LSTM(%x, %w2, %r) {hidden_size=2} @lstm_wide
                }
              } @inner_if
            },
            else_branch=graph outer_else () -> (%fy: float32[S,1,1,2]) {
              %fy, %fh = LSTM(%x, %w2, %r) {hidden_size=2} @lstm_else
            }
          } @outer_if
        }
        """);
    byte[] model = OnnxExporter.toBytes(g);
    Map<String, long[]> shapes = Map.of("x", new long[] {5, 1, 2}, "c1", new long[0],
        "c2", new long[0]);
    OptimizeResult r = Optimizer.optimize(g, o1(shapes));
    assertEquals(ops(branch(g, "squeezing")), ops(branch(r.graph(), "squeezing")));
    for (boolean c1 : new boolean[] {true, false}) {
      Map<String, Tensor> inputs = new LinkedHashMap<>(SeededInputs.generate(g, shapes));
      inputs.put("c1", Tensor.ofBools(new long[0], c1));
      inputs.put("c2", Tensor.ofBools(new long[0], false));
      assertAgreesWithOrt(model, r.graph(), inputs);
    }
  }

  @Test
  void staleDeclaredOutputShapeDoesNotFoldShapeOrSize() throws Exception {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[N,3]) -> (%y: float32[1,3], %s: int64[2], %n: int64[]) {
          opset "" 13
          %y = Relu(%x) @relu
          %s = Shape(%y) @keep_shape
          %n = Size(%y) @keep_size
        }
        """);
    byte[] model = OnnxExporter.toBytes(g);
    OptimizeResult r = Optimizer.optimize(g, o1(Map.of()));
    assertAgreesWithOrt(model, r.graph(),
        SeededInputs.generate(g, Map.of("x", new long[] {2, 3})));
  }

  @Test
  void staleValueInfoDoesNotMakeAReshapeANoOp() throws Exception {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,3]) -> (%y: float32[6]) {
          opset "" 13
          init %to: int64[1] = [6]
          %t: float32[6] = Relu(%x) @relu
          %y = Reshape(%t, %to) @keep_reshape
        }
        """);
    byte[] model = OnnxExporter.toBytes(g);
    OptimizeResult r = Optimizer.optimize(g, o1(Map.of()));
    assertEquals(1, r.graph().opHistogram().getOrDefault("Reshape", 0));
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("'t' declared float32[6]")),
        r.notes().toString());
    assertAgreesWithOrt(model, r.graph(), SeededInputs.generate(g, Map.of()));
  }

  /**
   * A loop-carried value that grows by one element per iteration: inside the body its shape is
   * not the initial {@code [1]}, so {@code Shape} of it must not fold.
   */
  @Test
  void loopCarriedValueThatGrowsKeepsItsShapeComputed() throws Exception {
    Graph g = GraphParser.parse("""
        graph g (%n: int64[], %x: float32[1]) -> (%acc: float32[?], %sizes: int64[?,1]) {
          opset "" 13
          init %cond: bool[] = [true]
          %acc, %sizes = Loop(%n, %cond, %x) {
            body=graph b (%i: int64[], %c: bool[], %a: float32[?]) -> (%c2: bool[],
                %a2: float32[?], %s: int64[1]) {
              %c2 = Identity(%c) @id
              %s = Shape(%a) @keep_shape
              %a2 = Concat(%a, %x) {axis=0} @cat
            }
          } @loop
        }
        """);
    byte[] model = OnnxExporter.toBytes(g);
    OptimizeResult r = Optimizer.optimize(g, o1(Map.of("x", new long[] {1})));
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put("n", Tensor.ofLongs(new long[0], 3));
    inputs.put("x", Tensor.ofFloats(new long[] {1}, 2f));
    assertAgreesWithOrt(model, r.graph(), inputs);
  }

  private static OptimizeOptions o1(Map<String, long[]> shapes) {
    return new OptimizeOptions(Level.O1, Set.of(), Set.of(), null, shapes, false,
        OptimizeOptions.DEFAULT_FOLD_CAP);
  }

  private static void assertAgreesWithOrt(byte[] original, Graph optimized,
      Map<String, Tensor> inputs) {
    var v = ORT.verifier().compare(original, OnnxExporter.toBytes(optimized), inputs);
    assertTrue(v.pass(), v.firstFailure());
  }

  /** The model with its graph inputs' dim_params renamed per {@code names}. */
  private static byte[] renameDims(byte[] model, Map<String, String> names) throws Exception {
    ModelProto.Builder m = ModelProto.parseFrom(model).toBuilder();
    for (ValueInfoProto.Builder in : m.getGraphBuilder().getInputBuilderList()) {
      for (var d : in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder()
          .getDimBuilderList()) {
        if (names.containsKey(d.getDimParam())) {
          d.setDimParam(names.get(d.getDimParam()));
        }
      }
    }
    return m.build().toByteArray();
  }

  private static Graph branch(Graph g, String name) {
    Graph[] found = {null};
    g.forEachNode(n -> n.subgraphs().forEach(b -> {
      if (b.name().equals(name)) {
        found[0] = b;
      }
    }));
    return found[0];
  }

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }
}

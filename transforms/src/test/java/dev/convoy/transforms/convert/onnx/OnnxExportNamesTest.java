package dev.convoy.transforms.convert.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.testing.OrtFixture;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Node names are unique in every exported model (ONNX Runtime refuses duplicates), with the name
 * each node got available from {@link OnnxExporter#exportedNodeNames} for verification.
 */
class OnnxExportNamesTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final String DUPLICATES = """
      graph g (%x: float32[2,3], %c: bool[]) -> (%y: float32[2,3], %z: float32[2,3]) {
        opset "" 17
        %a: float32[2,3] = Relu(%x) @n
        %b: float32[2,3] = Neg(%a) @n
        %y = Abs(%b) @n_1
        %z = If(%c) {
          then_branch = graph t () -> (%t: float32[2,3]) {
            %t = Neg(%x) @n
          },
          else_branch = graph e () -> (%e: float32[2,3]) {
            %e = Abs(%x) @only
          }
        } @n
      }
      """;

  @Test
  void exportsUniqueNodeNamesThatOrtLoads() throws Exception {
    Graph g = GraphParser.parse(DUPLICATES);
    byte[] bytes = OnnxExporter.toBytes(g);
    Map<String, Tensor> in = Map.of(
        "x", Tensor.ofFloats(new long[] {2, 3}, -1, 2, -3, 4, -5, 6),
        "c", Tensor.ofBools(new long[] {}, true));
    Map<String, Tensor> out = ORT.verifier().run(bytes, in);
    assertEquals(Tensor.ofFloats(new long[] {2, 3}, 0, 2, 0, 4, 0, 6), out.get("y"));

    List<String> written = new ArrayList<>();
    collect(ModelProto.parseFrom(bytes).getGraph(), written);
    assertEquals(written.size(), new HashSet<>(written).size(), "unique: " + written);
    assertTrue(written.contains("n") && written.contains("n_1") && written.contains("only"),
        "the first of each name and unique names are kept: " + written);

    Map<Node, String> names = OnnxExporter.exportedNodeNames(g);
    List<String> mapped = new ArrayList<>();
    g.forEachNode(n -> mapped.add(names.get(n)));
    assertEquals(Set.copyOf(written), Set.copyOf(mapped), "the map gives the written names");
    g.forEachNode(n -> assertTrue(names.get(n).startsWith(n.name()), n + " -> " + names.get(n)));
  }

  private static void collect(GraphProto g, List<String> names) {
    for (NodeProto n : g.getNodeList()) {
      names.add(n.getName());
      n.getAttributeList().forEach(a -> {
        if (a.hasG()) {
          collect(a.getG(), names);
        }
      });
    }
  }
}

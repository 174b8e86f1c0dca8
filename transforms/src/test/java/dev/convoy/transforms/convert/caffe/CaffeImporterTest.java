package dev.convoy.transforms.convert.caffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import caffe.Caffe;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Graph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Caffe importer reads beyond the layers themselves: fields, phases, blob naming. */
class CaffeImporterTest {
  @TempDir Path tmp;

  private Graph importText(String prototxt) throws IOException {
    Path p = tmp.resolve("net.prototxt");
    Files.writeString(p, prototxt);
    Path w = tmp.resolve("net.caffemodel");
    Files.write(w, Caffe.NetParameter.getDefaultInstance().toByteArray());
    return CaffeImporter.importFiles(p, w, List.of());
  }

  private static final String INPUT = """
      layer { name: "data" type: "Input" top: "data"
              input_param { shape { dim: 1 dim: 1 dim: 112 dim: 112 } } }
      """;

  @Test
  void readsRoundModeFloorWhichTheSchemaArtifactLacks() throws IOException {
    String pool = """
        layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
                pooling_param { pool: MAX kernel_size: 3 stride: 2 %s } }
        """;
    Graph ceil = importText(INPUT + pool.formatted(""));
    Graph floor = importText(INPUT + pool.formatted("round_mode: FLOOR"));
    assertEquals("float32[N,1,56,56]", ceil.outputs().get(0).type().toString());
    assertEquals("float32[N,1,55,55]", floor.outputs().get(0).type().toString());
  }

  @Test
  void dropsLayersOutsideTheTestPhase() throws IOException {
    Graph g = importText(INPUT + """
        layer { name: "train_only" type: "Dropout" bottom: "data" top: "dropped"
                include { phase: TRAIN } }
        layer { name: "sig" type: "Sigmoid" bottom: "data" top: "sig" }
        """);
    assertEquals(List.of("sig"), g.outputs().stream().map(v -> v.name()).toList());
  }

  @Test
  void theLastValueOfAnInPlaceBlobCarriesTheBlobName() throws IOException {
    Graph g = importText(INPUT + """
        layer { name: "tanh" type: "TanH" bottom: "data" top: "act" }
        layer { name: "relu" type: "ReLU" bottom: "act" top: "act" }
        layer { name: "abs" type: "AbsVal" bottom: "act" top: "act" }
        """);
    assertEquals("act", g.outputs().get(0).name());
    assertEquals("Abs", g.outputs().get(0).producer().opType());
    assertEquals(3, g.nodes().size());
  }

  @Test
  void refusesAnUnknownLayerNamingTheFileAndLayer() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> importText(INPUT + """
        layer { name: "odd" type: "Swish" bottom: "data" top: "odd" }
        """));
    assertTrue(e.getMessage().startsWith(tmp.resolve("net.prototxt") + ": layer 'odd' has type"),
        e.getMessage());
  }
}

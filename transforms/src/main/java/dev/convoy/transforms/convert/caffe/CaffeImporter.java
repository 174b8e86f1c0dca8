package dev.convoy.transforms.convert.caffe;

import caffe.Caffe;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Caffe model, a {@code deploy.prototxt} (text {@code NetParameter}) with its
 * {@code .caffemodel} (binary {@code NetParameter} holding the weight blobs), into Convoy's graph
 * IR as standard ONNX ops at opset 13.
 *
 * <p>Blobs become values; a blob rewritten in place (a top equal to its bottom) is a new value
 * each time, and the last one carries the blob's name. The net's inputs come from {@code Input}
 * layers or the legacy net-level {@code input} fields; their first dimension (Caffe's batch,
 * which Caffe reshapes freely) is the symbol {@code N}. The graph's outputs are the blobs no later
 * layer consumes, as in Caffe. Problems name the file they are in; the layers Caffe's test phase
 * leaves out are skipped.
 */
public final class CaffeImporter {
  private CaffeImporter() {}

  /** The weights file beside a prototxt: the same stem with {@code .caffemodel}. */
  public static Path weightsFor(Path prototxt) {
    String name = prototxt.getFileName().toString();
    String stem = name.endsWith(".prototxt") ? name.substring(0, name.length() - 9) : name;
    return prototxt.resolveSibling(stem + ".caffemodel");
  }

  /** The definition beside a caffemodel: the same stem with {@code .prototxt}. */
  public static Path definitionFor(Path caffemodel) {
    String name = caffemodel.getFileName().toString();
    String stem = name.endsWith(".caffemodel") ? name.substring(0, name.length() - 11) : name;
    return caffemodel.resolveSibling(stem + ".prototxt");
  }

  /**
   * Imports the Caffe model {@code file} names: a prototxt with the caffemodel of the same stem
   * beside it, or a caffemodel with the prototxt of the same stem.
   */
  public static Graph importModel(Path file) {
    boolean weights = file.getFileName().toString().endsWith(".caffemodel");
    Path prototxt = weights ? definitionFor(file) : file;
    Path caffemodel = weights ? file : weightsFor(file);
    Path partner = weights ? prototxt : caffemodel;
    if (!Files.isRegularFile(partner)) {
      throw new InvalidModelException(file + ": no " + partner.getFileName() + " beside it (a Caffe"
          + " model is a .prototxt with a .caffemodel of the same stem)");
    }
    return importFiles(prototxt, caffemodel, List.of());
  }

  /**
   * Imports the net; each blob named in {@code extraOutputs} (its final value) is appended to
   * the graph outputs, for comparing intermediate blobs with a reference.
   */
  public static Graph importFiles(Path prototxt, Path caffemodel, List<String> extraOutputs) {
    CaffeNetReader.Net net = CaffeNetReader.readDefinition(prototxt);
    Map<String, List<Caffe.BlobProto>> weights = CaffeNetReader.readWeights(caffemodel);
    CaffeGraphBuilder b = new CaffeGraphBuilder(prototxt, caffemodel, weights);
    try {
      return build(net, b, extraOutputs);
    } catch (ConvoyException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
        | IndexOutOfBoundsException e) {
      throw new InvalidModelException(prototxt + ": not a valid Caffe net (" + e.getMessage() + ")",
          e);
    }
  }

  private static Graph build(CaffeNetReader.Net net, CaffeGraphBuilder b, List<String> extra) {
    Graph g = b.graph();
    g.setInfo(new ModelInfo(ModelInfo.DEFAULT.irVersion(), "caffe", "", "", 0, ""));
    g.setName(net.name().isEmpty() ? "caffe" : net.name());
    g.opsets().putAll(CaffeLayers.opsets());
    Map<String, Value> blobs = new HashMap<>();
    // Blobs not yet consumed, in the order they were last written: the net's outputs at the end.
    Set<String> available = new LinkedHashSet<>();
    for (int i = 0; i < net.inputs().size(); i++) {
      String name = net.inputs().get(i);
      blobs.put(name, g.addInput(name, CaffeGraphBuilder.inputType(net.inputShapes().get(i))));
      available.add(name);
    }
    CaffeLayers layers = new CaffeLayers(b);
    for (Caffe.LayerParameter layer : net.layers()) {
      checkArity(b, layer);
      List<Value> bottoms = new ArrayList<>();
      for (String bottom : layer.getBottomList()) {
        Value v = blobs.get(bottom);
        if (v == null) {
          throw b.structural(layer, "reads blob '" + bottom + "', which no earlier layer writes");
        }
        bottoms.add(v);
        available.remove(bottom);
      }
      List<Value> tops = layer.getType().equals("Input")
          ? inputs(b, layer) : layers.convert(layer, bottoms);
      for (int t = 0; t < layer.getTopCount(); t++) {
        String top = layer.getTop(t);
        blobs.put(top, tops.get(t));
        available.remove(top);
        available.add(top);
      }
    }
    List<String> outputs = new ArrayList<>(available);
    for (String name : extra) {
      if (!blobs.containsKey(name)) {
        throw new InvalidModelException(b.prototxt + ": no blob named '" + name + "' to output");
      }
      if (!outputs.contains(name)) {
        outputs.add(name);
      }
    }
    // Every blob's final value carries the blob's name, so any blob can be asked for by name.
    for (Map.Entry<String, Value> e : blobs.entrySet()) {
      nameAfterBlob(g, e.getValue(), e.getKey());
    }
    for (String name : outputs) {
      g.addOutput(blobs.get(name));
    }
    return g;
  }

  /**
   * Gives a blob's final value the blob's name, moving an earlier value of the same blob (one
   * rewritten in place) aside. Graph inputs keep their names.
   */
  private static void nameAfterBlob(Graph g, Value v, String blob) {
    if (v.name().equals(blob) || v.isGraphInput()) {
      return;
    }
    Value holder = g.localValue(blob);
    if (holder != null) {
      if (holder.isGraphInput()) {
        return;
      }
      holder.rename(g.uniqueName(blob + "/before_" + v.producer().name()));
    }
    v.rename(blob);
  }

  private static List<Value> inputs(CaffeGraphBuilder b, Caffe.LayerParameter layer) {
    List<Caffe.BlobShape> shapes = layer.getInputParam().getShapeList();
    int n = layer.getTopCount();
    if (shapes.size() != 1 && shapes.size() != n) {
      throw b.structural(layer, "declares " + shapes.size() + " shapes for " + n + " tops");
    }
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long[] dims = shapes.get(shapes.size() == 1 ? 0 : i).getDimList().stream()
          .mapToLong(Long::longValue).toArray();
      String name = layer.getTop(i);
      if (b.graph().isNameTaken(name)) {
        throw b.structural(layer, "declares input '" + name + "' twice");
      }
      out.add(b.graph().addInput(name, CaffeGraphBuilder.inputType(dims)));
    }
    return out;
  }

  private static void checkArity(CaffeGraphBuilder b, Caffe.LayerParameter l) {
    int bottoms = l.getBottomCount();
    int tops = l.getTopCount();
    String type = l.getType();
    String want = switch (type) {
      case "Input" -> bottoms == 0 && tops >= 1 ? null : "no bottoms and at least one top";
      case "Silence" -> bottoms >= 1 && tops == 0 ? null : "at least one bottom and no tops";
      case "Eltwise", "Concat" -> bottoms >= 1 && tops == 1 ? null
          : "at least one bottom and one top";
      case "Scale", "Bias" -> (bottoms == 1 || bottoms == 2) && tops == 1 ? null
          : "one or two bottoms and one top";
      case "Slice", "Split" -> bottoms == 1 && tops >= 1 ? null : "one bottom and at least one top";
      default -> bottoms == 1 && tops == 1 ? null : "one bottom and one top";
    };
    if (want != null && CaffeLayers.SUPPORTED.contains(type)) {
      throw b.structural(l, "has " + bottoms + " bottoms and " + tops + " tops; it takes " + want);
    }
  }
}

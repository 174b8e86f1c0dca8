package dev.convoy.transforms.convert.caffe;

import caffe.Caffe;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.transforms.convert.ImportGraphBuilder;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The graph under construction while a Caffe net is imported: beside the generic building,
 * static sizes where a layer needs them, and checks a layer's blobs
 * against the shapes its parameters imply. Errors name the file they are about: the prototxt
 * for the net's structure, the caffemodel for its blobs.
 */
final class CaffeGraphBuilder extends ImportGraphBuilder {
  final Path prototxt;
  final Path caffemodel;
  private final Map<String, List<Caffe.BlobProto>> weights;

  CaffeGraphBuilder(Path prototxt, Path caffemodel, Map<String, List<Caffe.BlobProto>> weights) {
    this.prototxt = prototxt;
    this.caffemodel = caffemodel;
    this.weights = weights;
  }

  /** The static shape of {@code v}, where a layer needs it, or an error naming the layer. */
  long[] staticShape(Caffe.LayerParameter layer, Value v) {
    Shape s = v.type() instanceof ValueType.TensorType t ? t.shape() : null;
    if (s == null || !s.hasRank()) {
      throw structural(layer, "the shape of its input '" + v.name() + "' is unknown");
    }
    long[] out = new long[s.rank()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.dim(i) instanceof Dim.Static d ? d.size() : -1;
    }
    return out;
  }

  /** The rank of {@code v}. */
  int rank(Caffe.LayerParameter layer, Value v) {
    return staticShape(layer, v).length;
  }

  /** Dimension {@code i} of {@code v}, which must be static. */
  long dim(Caffe.LayerParameter layer, Value v, int i) {
    long d = staticShape(layer, v)[i];
    if (d < 0) {
      throw structural(layer, "needs a static size for axis " + i + " of '" + v.name()
          + "', which is " + v.type());
    }
    return d;
  }

  /**
   * The layer's weight blobs from the caffemodel, each checked against the expected shape
   * (legacy 4-D num/channels/height/width blobs match when padded with leading ones).
   */
  List<Tensor> blobs(Caffe.LayerParameter layer, long[]... expected) {
    List<Caffe.BlobProto> found = layer.getBlobsCount() > 0 ? layer.getBlobsList()
        : weights.getOrDefault(layer.getName(), List.of());
    if (found.isEmpty()) {
      throw new InvalidModelException(caffemodel + ": layer '" + layer.getName() + "' ("
          + layer.getType() + ") has no weight blobs; the prototxt needs " + expected.length);
    }
    if (found.size() != expected.length) {
      throw new InvalidModelException(caffemodel + ": layer '" + layer.getName() + "' ("
          + layer.getType() + ") has " + found.size() + " blobs; the prototxt needs "
          + expected.length);
    }
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      out.add(tensor(layer, i, found.get(i), expected[i]));
    }
    return out;
  }

  private Tensor tensor(Caffe.LayerParameter layer, int index, Caffe.BlobProto b, long[] want) {
    long[] dims;
    if (b.hasShape()) {
      dims = b.getShape().getDimList().stream().mapToLong(Long::longValue).toArray();
    } else {
      dims = new long[] {b.getNum(), b.getChannels(), b.getHeight(), b.getWidth()};
    }
    if (!sameShape(dims, want)) {
      throw new InvalidModelException(caffemodel + ": layer '" + layer.getName() + "' ("
          + layer.getType() + ") blob " + index + " has shape " + Shape.toString(dims)
          + "; the prototxt and the layer's input need " + Shape.toString(want));
    }
    long n = Tensor.numElements(want);
    float[] data;
    if (b.getDataCount() == n) {
      data = new float[(int) n];
      for (int i = 0; i < n; i++) {
        data[i] = b.getData(i);
      }
    } else if (b.getDoubleDataCount() == n) {
      data = new float[(int) n];
      for (int i = 0; i < n; i++) {
        data[i] = (float) b.getDoubleData(i);
      }
    } else {
      throw new InvalidModelException(caffemodel + ": layer '" + layer.getName() + "' blob "
          + index + " holds " + Math.max(b.getDataCount(), b.getDoubleDataCount())
          + " values for its shape " + Shape.toString(want) + " of " + n);
    }
    return Tensor.ofFloats(want, data);
  }

  private static boolean sameShape(long[] have, long[] want) {
    if (Arrays.equals(have, want)) {
      return true;
    }
    if (have.length != 4 || want.length > 4) {
      return false;
    }
    for (int i = 0; i < 4 - want.length; i++) {
      if (have[i] != 1) {
        return false;
      }
    }
    return Arrays.equals(Arrays.copyOfRange(have, 4 - want.length, 4), want);
  }

  /** An error in the net's structure, naming the prototxt and the layer. */
  InvalidModelException structural(Caffe.LayerParameter layer, String what) {
    return new InvalidModelException(
        prototxt + ": layer '" + layer.getName() + "' (" + layer.getType() + ") " + what);
  }

  /** A float32 tensor input of the given dims, the first one symbolic ({@code N}). */
  static ValueType.TensorType inputType(long[] dims) {
    List<Dim> d = new ArrayList<>();
    for (int i = 0; i < dims.length; i++) {
      d.add(i == 0 ? new Dim.Symbolic("N") : new Dim.Static(dims[i]));
    }
    return new ValueType.TensorType(DType.FLOAT, Shape.of(d));
  }
}

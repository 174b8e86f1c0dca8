package dev.convoy.transforms.convert.caffe;

import caffe.Caffe;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.transforms.convert.ProtoFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a Caffe net definition (text {@code NetParameter}) and its weights (binary
 * {@code NetParameter}) into layers as the test phase sees them: legacy V1 {@code layers} are
 * upgraded to {@code layer}s, layers excluded from the TEST phase are dropped, and each layer's
 * weight blobs are looked up by layer name in the weights file, as Caffe's
 * {@code CopyTrainedLayersFrom} does.
 */
final class CaffeNetReader {
  private CaffeNetReader() {}

  /** A net: its layers (upgraded, TEST phase) and the inputs declared at net level. */
  record Net(String name, List<Caffe.LayerParameter> layers, List<String> inputs,
      List<long[]> inputShapes) {}

  /** Parses a prototxt; syntax errors name the file, line and column. */
  static Net readDefinition(Path prototxt) {
    String text;
    try {
      text = Files.readString(prototxt, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConvoyException(prototxt + ": no such file");
    } catch (IOException e) {
      throw new ConvoyException(prototxt + ": cannot read (" + e.getMessage() + ")", e);
    }
    DynamicMessage.Builder b = DynamicMessage.newBuilder(CaffeSchema.NET);
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      String why = e.getMessage().replaceFirst("^\\d+:\\d+: ", "");
      throw new InvalidModelException(prototxt + ":" + e.getLine() + ":" + e.getColumn()
          + ": not a valid Caffe prototxt (" + why + ")");
    }
    Caffe.NetParameter net;
    try {
      net = Caffe.NetParameter.parseFrom(b.build().toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("re-reading a parsed prototxt failed", e);
    }
    List<Caffe.LayerParameter> layers = new ArrayList<>();
    for (Caffe.LayerParameter layer : layers(net, prototxt)) {
      if (inTestPhase(layer)) {
        layers.add(layer);
      }
    }
    List<long[]> shapes = new ArrayList<>();
    int n = net.getInputCount();
    if (net.getInputShapeCount() > 0) {
      if (net.getInputShapeCount() != n) {
        throw new InvalidModelException(prototxt + ": " + n + " net inputs but "
            + net.getInputShapeCount() + " input_shape entries");
      }
      for (Caffe.BlobShape s : net.getInputShapeList()) {
        shapes.add(s.getDimList().stream().mapToLong(Long::longValue).toArray());
      }
    } else if (n > 0) {
      if (net.getInputDimCount() != 4 * n) {
        throw new InvalidModelException(prototxt + ": " + n + " net inputs need " + 4 * n
            + " input_dim values (4 per input), found " + net.getInputDimCount());
      }
      for (int i = 0; i < n; i++) {
        long[] s = new long[4];
        for (int d = 0; d < 4; d++) {
          s[d] = net.getInputDim(4 * i + d);
        }
        shapes.add(s);
      }
    }
    return new Net(net.getName(), layers, net.getInputList(), shapes);
  }

  /** Reads a caffemodel's weight blobs by layer name. */
  static Map<String, List<Caffe.BlobProto>> readWeights(Path caffemodel) {
    Caffe.NetParameter net = ProtoFiles.read(caffemodel, Caffe.NetParameter.PARSER, "caffemodel");
    Map<String, List<Caffe.BlobProto>> blobs = new LinkedHashMap<>();
    for (Caffe.LayerParameter layer : layers(net, caffemodel)) {
      if (layer.getBlobsCount() > 0) {
        blobs.put(layer.getName(), layer.getBlobsList());
      }
    }
    return blobs;
  }

  /** The net's layers, V1 {@code layers} upgraded; a net using both forms is refused. */
  private static List<Caffe.LayerParameter> layers(Caffe.NetParameter net, Path file) {
    if (net.getLayersCount() == 0) {
      return net.getLayerList();
    }
    if (net.getLayerCount() > 0) {
      throw new InvalidModelException(file
          + ": mixes 'layer' and legacy V1 'layers' entries; Caffe reads only one kind per net");
    }
    List<Caffe.LayerParameter> out = new ArrayList<>();
    for (Caffe.V1LayerParameter v1 : net.getLayersList()) {
      out.add(upgrade(v1, file));
    }
    return out;
  }

  /**
   * A V1 layer as a current one: its enum type becomes the type name, and every *_param it
   * sets is copied into the field of the same name and message type (they are shared).
   */
  private static Caffe.LayerParameter upgrade(Caffe.V1LayerParameter v1, Path file) {
    if (v1.hasLayer()) {
      throw new UnsupportedOpException(file + ": layer '" + v1.getName()
          + "' is a V0 layer (a 'layer' inside 'layers'); only V1 and current nets are read");
    }
    Caffe.LayerParameter.Builder b = Caffe.LayerParameter.newBuilder()
        .setName(v1.getName())
        .setType(v1TypeName(v1.getType()))
        .addAllBottom(v1.getBottomList())
        .addAllTop(v1.getTopList())
        .addAllBlobs(v1.getBlobsList())
        .addAllInclude(v1.getIncludeList())
        .addAllExclude(v1.getExcludeList());
    var target = Caffe.LayerParameter.getDescriptor();
    for (Map.Entry<FieldDescriptor, Object> e : v1.getAllFields().entrySet()) {
      FieldDescriptor src = e.getKey();
      FieldDescriptor dst = target.findFieldByName(src.getName());
      if (src.getName().endsWith("_param") && dst != null
          && dst.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          && dst.getMessageType() == src.getMessageType()) {
        b.setField(dst, e.getValue());
      }
    }
    return b.build();
  }

  /** V1's enum names as current type names (CONVOLUTION to Convolution, SOFTMAX_LOSS to ...). */
  static String v1TypeName(Caffe.V1LayerParameter.LayerType t) {
    return switch (t) {
      case ABSVAL -> "AbsVal";
      case ARGMAX -> "ArgMax";
      case BNLL -> "BNLL";
      case HDF5_DATA -> "HDF5Data";
      case HDF5_OUTPUT -> "HDF5Output";
      case IM2COL -> "Im2col";
      case LRN -> "LRN";
      case MVN -> "MVN";
      case RELU -> "ReLU";
      case SOFTMAX_LOSS -> "SoftmaxWithLoss";
      case TANH -> "TanH";
      default -> {
        StringBuilder s = new StringBuilder();
        for (String part : t.name().split("_")) {
          s.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        yield s.toString();
      }
    };
  }

  /**
   * Caffe's NetStateRule filtering for a TEST-phase net at level 0 with no stages: a layer runs
   * when it has no include rule or one matches, and no exclude rule matches.
   */
  private static boolean inTestPhase(Caffe.LayerParameter layer) {
    for (Caffe.NetStateRule r : layer.getExcludeList()) {
      if (matches(r)) {
        return false;
      }
    }
    if (layer.getIncludeCount() == 0) {
      return true;
    }
    for (Caffe.NetStateRule r : layer.getIncludeList()) {
      if (matches(r)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(Caffe.NetStateRule r) {
    if (r.hasPhase() && r.getPhase() != Caffe.Phase.TEST) {
      return false;
    }
    if (r.hasMinLevel() && r.getMinLevel() > 0) {
      return false;
    }
    if (r.hasMaxLevel() && r.getMaxLevel() < 0) {
      return false;
    }
    return r.getStageCount() == 0;
  }
}

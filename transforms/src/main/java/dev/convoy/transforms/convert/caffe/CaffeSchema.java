package dev.convoy.transforms.convert.caffe;

import caffe.Caffe;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumValueDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import java.util.List;

/**
 * Caffe's schema as the Caffe importer reads it: BVLC's {@code caffe.proto} from the SystemML
 * artifact's generated classes, widened with the few fields that later BVLC releases and the SSD
 * fork added and deploy files use: {@code PoolingParameter.round_mode} (13), and
 * {@code LayerParameter.permute_param} (202) and {@code norm_param} (206) with their messages.
 *
 * <p>Text is parsed against the widened descriptors and re-read as the generated classes, which
 * keep the added fields as unknown fields; the accessors here decode them.
 */
final class CaffeSchema {
  static final int ROUND_MODE_FIELD = 13;
  static final int PERMUTE_PARAM_FIELD = 202;
  static final int NORM_PARAM_FIELD = 206;

  /** The widened NetParameter descriptor. */
  static final Descriptor NET;
  private static final Descriptor PERMUTE;
  private static final Descriptor NORMALIZE;

  static {
    // SystemML's classes are protoc 2.x gencode, which protobuf-java 3.25 warns about once per
    // message class at first use (a denial-of-service advisory for untrusted input; a model file
    // is the user's own). Unless the user chose otherwise, keep the CLI's output clean.
    if (System.getProperty("com.google.protobuf.use_unsafe_pre22_gencode") == null
        && System.getProperty("com.google.protobuf.error_on_unsafe_pre22_gencode") == null) {
      System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }
    FileDescriptorProto.Builder file = Caffe.getDescriptor().toProto().toBuilder();
    for (DescriptorProto.Builder m : file.getMessageTypeBuilderList()) {
      switch (m.getName()) {
        case "LayerParameter" -> {
          m.addField(messageField("permute_param", PERMUTE_PARAM_FIELD, ".caffe.PermuteParameter"));
          m.addField(messageField("norm_param", NORM_PARAM_FIELD, ".caffe.NormalizeParameter"));
        }
        case "PoolingParameter" -> {
          m.addEnumType(EnumDescriptorProto.newBuilder().setName("RoundMode")
              .addValue(EnumValueDescriptorProto.newBuilder().setName("CEIL").setNumber(0))
              .addValue(EnumValueDescriptorProto.newBuilder().setName("FLOOR").setNumber(1)));
          m.addField(FieldDescriptorProto.newBuilder().setName("round_mode")
              .setNumber(ROUND_MODE_FIELD)
              .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
              .setType(FieldDescriptorProto.Type.TYPE_ENUM)
              .setTypeName(".caffe.PoolingParameter.RoundMode"));
        }
        default -> { }
      }
    }
    file.addMessageType(DescriptorProto.newBuilder().setName("PermuteParameter")
        .addField(scalarField("order", 1, FieldDescriptorProto.Type.TYPE_UINT32)
            .setLabel(FieldDescriptorProto.Label.LABEL_REPEATED)));
    file.addMessageType(DescriptorProto.newBuilder().setName("NormalizeParameter")
        .addField(scalarField("across_spatial", 1, FieldDescriptorProto.Type.TYPE_BOOL)
            .setDefaultValue("true"))
        .addField(messageField("scale_filler", 2, ".caffe.FillerParameter"))
        .addField(scalarField("channel_shared", 3, FieldDescriptorProto.Type.TYPE_BOOL)
            .setDefaultValue("true"))
        .addField(scalarField("eps", 4, FieldDescriptorProto.Type.TYPE_FLOAT)
            .setDefaultValue("1e-10")));
    try {
      FileDescriptor fd = FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]);
      NET = fd.findMessageTypeByName("NetParameter");
      PERMUTE = fd.findMessageTypeByName("PermuteParameter");
      NORMALIZE = fd.findMessageTypeByName("NormalizeParameter");
    } catch (DescriptorValidationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private CaffeSchema() {}

  private static FieldDescriptorProto.Builder scalarField(
      String name, int number, FieldDescriptorProto.Type type) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL).setType(type);
  }

  private static FieldDescriptorProto.Builder messageField(String name, int number, String type) {
    return scalarField(name, number, FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(type);
  }

  /** Whether the pooling rounds its output size down (round_mode FLOOR); Caffe's default is up. */
  static boolean roundsDown(Caffe.PoolingParameter p) {
    UnknownFieldSet.Field f = p.getUnknownFields().getField(ROUND_MODE_FIELD);
    List<Long> v = f.getVarintList();
    return !v.isEmpty() && v.get(v.size() - 1) == 1;
  }

  /** A layer's permute_param.order (empty when absent). */
  static List<Integer> permuteOrder(Caffe.LayerParameter layer) {
    DynamicMessage m = extension(layer, PERMUTE_PARAM_FIELD, PERMUTE);
    @SuppressWarnings("unchecked")
    List<Integer> order = (List<Integer>) m.getField(PERMUTE.findFieldByName("order"));
    return order;
  }

  /** A Normalize layer's parameters, defaults filled in. */
  record Normalize(boolean acrossSpatial, boolean channelShared, float eps) {}

  static Normalize normalize(Caffe.LayerParameter layer) {
    DynamicMessage m = extension(layer, NORM_PARAM_FIELD, NORMALIZE);
    return new Normalize(
        (Boolean) m.getField(NORMALIZE.findFieldByName("across_spatial")),
        (Boolean) m.getField(NORMALIZE.findFieldByName("channel_shared")),
        (Float) m.getField(NORMALIZE.findFieldByName("eps")));
  }

  /** An added message field, merged over its occurrences as protobuf merges repeated writes. */
  private static DynamicMessage extension(Caffe.LayerParameter layer, int field, Descriptor type) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    try {
      for (ByteString bytes : layer.getUnknownFields().getField(field).getLengthDelimitedList()) {
        b.mergeFrom(bytes);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "layer '" + layer.getName() + "': malformed " + type.getName(), e);
    }
    return b.build();
  }
}

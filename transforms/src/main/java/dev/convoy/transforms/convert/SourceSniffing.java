package dev.convoy.transforms.convert;

/**
 * Recognizes the Caffe and TensorFlow files from their first bytes: a Caffe prototxt is text
 * opening with a NetParameter field; a caffemodel is a binary NetParameter (its {@code name}
 * string, then layers); a GraphDef opens with a NodeDef holding a name and an op. None of these
 * starts like an ONNX ModelProto, whose first field is a varint or one of its own.
 * {@link ModelFormat#sniff} asks these before the ONNX check.
 */
final class SourceSniffing {
  /** How many leading bytes the sniffers look at. */
  static final int HEAD_BYTES = 4096;

  private static final java.util.Set<String> NET_FIELDS = java.util.Set.of("name", "input",
      "input_shape", "input_dim", "force_backward", "state", "debug_info", "layer", "layers");

  private SourceSniffing() {}

  /** Text whose first token (after blank lines and # comments) is a NetParameter field. */
  static boolean isPrototxt(byte[] head, int n) {
    int i = 0;
    while (i < n) {
      int c = head[i] & 0xFF;
      if (c == '#') {
        while (i < n && head[i] != '\n') {
          i++;
        }
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        i++;
      } else {
        break;
      }
    }
    int start = i;
    while (i < n && (Character.isLetterOrDigit(head[i]) || head[i] == '_')) {
      i++;
    }
    String token = new String(head, start, i - start, java.nio.charset.StandardCharsets.US_ASCII);
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
      i++;
    }
    return NET_FIELDS.contains(token) && i < n && (head[i] == ':' || head[i] == '{');
  }

  /**
   * A binary NetParameter: an optional name (field 1, printable) followed by layers (field 100
   * or legacy 2), net inputs (3, 4, 8) or its state; or layers straight away.
   */
  static boolean isCaffemodel(byte[] head, int n) {
    int i = 0;
    if ((head[0] & 0xFF) != 0x0a) {
      // Without a name, only a current layer (field 100) opens a caffemodel unambiguously.
      return n > 1 && (head[0] & 0xFF) == 0xa2 && (head[1] & 0xFF) == 0x06;
    }
    {
      long[] len = varint(head, 1, n);
      if (len == null || len[0] > 256) {
        return false;
      }
      int end = (int) (len[1] + len[0]);
      for (int k = (int) len[1]; k < Math.min(end, n); k++) {
        if (head[k] < 0x20 || head[k] > 0x7e) {
          return false;
        }
      }
      i = end;
      if (i >= n) {
        return false;
      }
    }
    int tag = head[i] & 0xFF;
    boolean layer = tag == 0xa2 && i + 1 < n && (head[i + 1] & 0xFF) == 0x06;
    return layer || tag == 0x12 || tag == 0x1a || tag == 0x20 || tag == 0x22 || tag == 0x42
        || tag == 0x3a;
  }

  /** A GraphDef whose first NodeDef starts with a printable name and an identifier op. */
  static boolean isGraphDef(byte[] head, int n) {
    if (n < 6 || (head[0] & 0xFF) != 0x0a) {
      return false;
    }
    long[] nodeLen = varint(head, 1, n);
    if (nodeLen == null || (head[(int) nodeLen[1]] & 0xFF) != 0x0a) {
      return false;
    }
    int i = (int) nodeLen[1] + 1;
    long[] nameLen = varint(head, i, n);
    if (nameLen == null || nameLen[0] == 0 || nameLen[1] + nameLen[0] >= n) {
      return false;
    }
    for (int k = (int) nameLen[1]; k < nameLen[1] + nameLen[0]; k++) {
      if (head[k] <= 0x20 || head[k] > 0x7e) {
        return false;
      }
    }
    i = (int) (nameLen[1] + nameLen[0]);
    if ((head[i] & 0xFF) != 0x12) {
      return false;
    }
    long[] opLen = varint(head, i + 1, n);
    if (opLen == null || opLen[0] == 0 || opLen[1] + opLen[0] > n) {
      return false;
    }
    for (int k = (int) opLen[1]; k < opLen[1] + opLen[0]; k++) {
      if (!Character.isLetterOrDigit(head[k]) && head[k] != '_') {
        return false;
      }
    }
    return true;
  }

  /** {value, index after it}, or {@code null} when the varint runs past {@code n}. */
  private static long[] varint(byte[] b, int at, int n) {
    long v = 0;
    for (int shift = 0, i = at; i < n && shift < 64; shift += 7, i++) {
      v |= (long) (b[i] & 0x7f) << shift;
      if ((b[i] & 0x80) == 0) {
        return i + 1 < n ? new long[] {v, i + 1} : null;
      }
    }
    return null;
  }
}

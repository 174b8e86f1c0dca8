package dev.convoy.ir.text;

import java.nio.charset.StandardCharsets;

/**
 * The lexical rules the printer and the parser share: which names may appear bare, how strings
 * and byte strings are escaped, how floats are spelled exactly. Keeping them in one place is what
 * makes {@code parse(print(g))} lossless.
 */
final class TextSyntax {
  private TextSyntax() {}

  /** Characters of a bare value or node name ({@code %onnx::Conv_0}, {@code @/conv1/Conv}). */
  static boolean isValueNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == '-' || c == '/';
  }

  /**
   * End of a bare value name starting at {@code from}. A colon belongs to the name only when a
   * name character (or a second colon and then a name character) follows, so {@code %x: f32}
   * ends at {@code x} while {@code %onnx::Add_0} and {@code %input:0} are one name each.
   */
  static int scanValueName(CharSequence s, int from) {
    int i = from;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (isValueNameChar(c)) {
        i++;
      } else if (c == ':' && i + 1 < n && isValueNameChar(s.charAt(i + 1))) {
        i += 2;
      } else if (c == ':' && i + 2 < n && s.charAt(i + 1) == ':'
          && isValueNameChar(s.charAt(i + 2))) {
        i += 3;
      } else {
        break;
      }
    }
    return i;
  }

  static boolean isBareValueName(String name) {
    return !name.isEmpty() && scanValueName(name, 0) == name.length();
  }

  static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  static boolean isIdentPart(char c) {
    return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.';
  }

  /**
   * End of an identifier (op type, domain, attribute name, graph name, dimension symbol). A dash
   * joins two identifier characters ({@code torch-jit-export}) but never starts {@code ->}.
   */
  static int scanIdent(CharSequence s, int from) {
    int n = s.length();
    if (from >= n || !isIdentStart(s.charAt(from))) {
      return from;
    }
    int i = from + 1;
    while (i < n) {
      char c = s.charAt(i);
      if (isIdentPart(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && isIdentPart(s.charAt(i + 1))) {
        i += 2;
      } else {
        break;
      }
    }
    return i;
  }

  static boolean isBareIdent(String s) {
    return !s.isEmpty() && scanIdent(s, 0) == s.length();
  }

  /** An identifier, bare when it can be, else quoted. */
  static void appendIdent(StringBuilder sb, String s) {
    if (isBareIdent(s)) {
      sb.append(s);
    } else {
      appendString(sb, s);
    }
  }

  static void appendValueName(StringBuilder sb, char sigil, String name) {
    sb.append(sigil);
    if (isBareValueName(name)) {
      sb.append(name);
    } else {
      appendString(sb, name);
    }
  }

  /** A Java string as a quoted literal; control characters and lone surrogates as {@code \\uXXXX}. */
  static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
      } else if (!appendSimpleEscape(sb, c)) {
        if (c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate(c)) {
          sb.append("\\u").append(String.format("%04x", (int) c));
        } else {
          sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  private static boolean appendSimpleEscape(StringBuilder sb, char c) {
    switch (c) {
      case '"' -> sb.append("\\\"");
      case '\\' -> sb.append("\\\\");
      case '\n' -> sb.append("\\n");
      case '\t' -> sb.append("\\t");
      case '\r' -> sb.append("\\r");
      default -> {
        return false;
      }
    }
    return true;
  }

  /**
   * A byte string as a quoted literal: well-formed UTF-8 of printable characters appears as text,
   * every other byte as {@code \\xNN}, so arbitrary bytes survive a round trip.
   */
  static void appendBytes(StringBuilder sb, byte[] b) {
    sb.append('"');
    int i = 0;
    while (i < b.length) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        if (!appendSimpleEscape(sb, (char) c)) {
          if (c < 0x20 || c == 0x7f) {
            appendHexByte(sb, c);
          } else {
            sb.append((char) c);
          }
        }
        i++;
        continue;
      }
      int len = utf8SequenceLength(b, i);
      int cp = len > 0 ? new String(b, i, len, StandardCharsets.UTF_8).codePointAt(0) : -1;
      if (len > 0 && cp >= 0xa0) {
        sb.appendCodePoint(cp);
        i += len;
      } else {
        appendHexByte(sb, c);
        i++;
      }
    }
    sb.append('"');
  }

  private static void appendHexByte(StringBuilder sb, int c) {
    sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
  }

  /** Length of the well-formed UTF-8 multi-byte sequence at {@code i}, or 0 if there is none. */
  private static int utf8SequenceLength(byte[] b, int i) {
    int c = b[i] & 0xff;
    int len;
    int min;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      min = 0x10000;
    } else {
      return 0;
    }
    if (i + len > b.length) {
      return 0;
    }
    int cp = c & (0x7f >> len);
    for (int k = 1; k < len; k++) {
      int d = b[i + k] & 0xff;
      if ((d & 0xc0) != 0x80) {
        return 0;
      }
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return 0;
    }
    return len;
  }

  // ---- numbers ----

  static final int CANONICAL_FLOAT_NAN = 0x7fc00000;
  static final long CANONICAL_DOUBLE_NAN = 0x7ff8000000000000L;
  static final short CANONICAL_HALF_NAN = 0x7e00;
  static final short CANONICAL_BFLOAT16_NAN = 0x7fc0;

  /**
   * A float spelled so that it reads back bit for bit: {@code Float.toString} for numbers (it
   * round-trips and always has a point or exponent, marking the literal as a float), {@code inf},
   * {@code -inf}, {@code nan}, and {@code nan:0xBITS} for a NaN with another payload or sign.
   */
  static void appendFloat(StringBuilder sb, float f) {
    if (Float.isNaN(f)) {
      appendNan(sb, Float.floatToRawIntBits(f) == CANONICAL_FLOAT_NAN,
          Integer.toHexString(Float.floatToRawIntBits(f)));
    } else if (Float.isInfinite(f)) {
      sb.append(f > 0 ? "inf" : "-inf");
    } else {
      sb.append(Float.toString(f));
    }
  }

  static void appendDouble(StringBuilder sb, double d) {
    if (Double.isNaN(d)) {
      appendNan(sb, Double.doubleToRawLongBits(d) == CANONICAL_DOUBLE_NAN,
          Long.toHexString(Double.doubleToRawLongBits(d)));
    } else if (Double.isInfinite(d)) {
      sb.append(d > 0 ? "inf" : "-inf");
    } else {
      sb.append(Double.toString(d));
    }
  }

  /** A 16-bit float ({@code float16} or {@code bfloat16} bits) through its exact float value. */
  static void appendHalf(StringBuilder sb, short bits, boolean bfloat) {
    float f = bfloat ? dev.convoy.ir.graph.HalfFloats.bfloat16ToFloat(bits)
        : dev.convoy.ir.graph.HalfFloats.toFloat(bits);
    if (Float.isNaN(f)) {
      short canonical = bfloat ? CANONICAL_BFLOAT16_NAN : CANONICAL_HALF_NAN;
      appendNan(sb, bits == canonical, Integer.toHexString(bits & 0xffff));
    } else {
      appendFloat(sb, f);
    }
  }

  private static void appendNan(StringBuilder sb, boolean canonical, String hexBits) {
    sb.append("nan");
    if (!canonical) {
      sb.append(":0x").append(hexBits);
    }
  }
}

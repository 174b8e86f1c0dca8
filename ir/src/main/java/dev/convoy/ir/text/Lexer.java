package dev.convoy.ir.text;

import dev.convoy.ir.InvalidModelException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Splits the text form into tokens with two tokens of look-ahead. Whitespace and newlines are
 * insignificant; {@code #} starts a comment to the end of the line. Positions are character
 * offsets, turned into line:column only when an error is reported.
 */
final class Lexer {
  enum Kind {
    IDENT,
    VALUE,
    NODE_NAME,
    STRING,
    NUMBER,
    PUNCT,
    EOF
  }

  /**
   * One token. {@code text} is the identifier, the decoded name of a value or node, the number
   * as written, or the punctuation; for strings it is null and {@code start..end} spans the
   * quoted source.
   */
  record Token(Kind kind, String text, int start, int end) {
    boolean is(String punct) {
      return kind == Kind.PUNCT && text.equals(punct);
    }

    boolean isIdent(String word) {
      return kind == Kind.IDENT && text.equals(word);
    }
  }

  private final String src;
  private final String sourceName;
  private int pos;
  private Token next;
  private Token afterNext;

  Lexer(String src, String sourceName) {
    this.src = src;
    this.sourceName = sourceName;
  }

  Token peek() {
    if (next == null) {
      next = scan();
    }
    return next;
  }

  Token peek2() {
    peek();
    if (afterNext == null) {
      afterNext = scan();
    }
    return afterNext;
  }

  Token take() {
    Token t = peek();
    next = afterNext;
    afterNext = null;
    return t;
  }

  private Token scan() {
    skipSpace();
    int n = src.length();
    if (pos >= n) {
      return new Token(Kind.EOF, "", n, n);
    }
    int start = pos;
    char c = src.charAt(pos);
    if (c == '"') {
      int end = scanString(pos);
      pos = end;
      return new Token(Kind.STRING, null, start, end);
    }
    if (c == '%' || c == '@') {
      Kind kind = c == '%' ? Kind.VALUE : Kind.NODE_NAME;
      pos++;
      String name;
      if (pos < n && src.charAt(pos) == '"') {
        int end = scanString(pos);
        name = decodeString(pos, end);
        pos = end;
      } else {
        int end = TextSyntax.scanValueName(src, pos);
        if (end == pos) {
          throw error(start, "expected a name after '" + c + "'");
        }
        name = src.substring(pos, end);
        pos = end;
      }
      return new Token(kind, name, start, pos);
    }
    if (TextSyntax.isIdentStart(c)) {
      pos = TextSyntax.scanIdent(src, pos);
      return new Token(Kind.IDENT, src.substring(start, pos), start, pos);
    }
    if (c >= '0' && c <= '9' || ((c == '-' || c == '+') && pos + 1 < n
        && (Character.isDigit(src.charAt(pos + 1)) || src.charAt(pos + 1) == '.'))) {
      return new Token(Kind.NUMBER, scanNumber(), start, pos);
    }
    if (c == '-' && src.startsWith("inf", pos + 1)
        && TextSyntax.scanIdent(src, pos + 1) == pos + 4) {
      pos += 4;
      return new Token(Kind.NUMBER, "-inf", start, pos);
    }
    if ((c == ':' && src.startsWith("::", pos)) || (c == '-' && src.startsWith("->", pos))) {
      pos += 2;
      return new Token(Kind.PUNCT, src.substring(start, pos), start, pos);
    }
    if ("()[]{}<>,=:?*".indexOf(c) >= 0) {
      pos++;
      return new Token(Kind.PUNCT, String.valueOf(c), start, pos);
    }
    throw error(start, "unexpected character '" + c + "'");
  }

  private void skipSpace() {
    int n = src.length();
    while (pos < n) {
      char c = src.charAt(pos);
      if (c == '#') {
        while (pos < n && src.charAt(pos) != '\n') {
          pos++;
        }
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else {
        return;
      }
    }
  }

  private String scanNumber() {
    int start = pos;
    int n = src.length();
    if (src.charAt(pos) == '-' || src.charAt(pos) == '+') {
      pos++;
    }
    if (src.startsWith("0x", pos) || src.startsWith("0X", pos)) {
      pos += 2;
      while (pos < n && Character.digit(src.charAt(pos), 16) >= 0) {
        pos++;
      }
      return src.substring(start, pos);
    }
    while (pos < n && Character.isDigit(src.charAt(pos))) {
      pos++;
    }
    if (pos < n && src.charAt(pos) == '.') {
      pos++;
      while (pos < n && Character.isDigit(src.charAt(pos))) {
        pos++;
      }
    }
    if (pos < n && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < n && (src.charAt(pos) == '-' || src.charAt(pos) == '+')) {
        pos++;
      }
      if (pos < n && Character.isDigit(src.charAt(pos))) {
        while (pos < n && Character.isDigit(src.charAt(pos))) {
          pos++;
        }
      } else {
        pos = save;
      }
    }
    return src.substring(start, pos);
  }

  /** The offset after the closing quote of the string starting at {@code from}. */
  private int scanString(int from) {
    int i = from + 1;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        i++;
      } else if (c == '\n') {
        break;
      }
      i++;
    }
    throw error(from, "unterminated string");
  }

  /** A string token as a Java string: {@code \\uXXXX} is a UTF-16 unit, {@code \\xNN} U+00NN. */
  String stringValue(Token t) {
    return decodeString(t.start(), t.end());
  }

  private String decodeString(int start, int end) {
    int close = end - 1;
    int firstEscape = start + 1;
    while (firstEscape < close && src.charAt(firstEscape) != '\\') {
      firstEscape++;
    }
    if (firstEscape == close) {
      return src.substring(start + 1, close);
    }
    var sb = new StringBuilder(close - start);
    for (int i = start + 1; i < close; i++) {
      char c = src.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = src.charAt(++i);
      switch (e) {
        case 'u' -> {
          sb.append((char) hex(i + 1, 4));
          i += 4;
        }
        case 'x' -> {
          sb.append((char) hex(i + 1, 2));
          i += 2;
        }
        default -> sb.append(simpleEscape(i, e));
      }
    }
    return sb.toString();
  }

  /** A string token as bytes: text as UTF-8, {@code \\xNN} as one raw byte. */
  byte[] bytesValue(Token t) {
    int close = t.end() - 1;
    var out = new ByteArrayOutputStream(close - t.start());
    var chunk = new StringBuilder();
    for (int i = t.start() + 1; i < close; i++) {
      char c = src.charAt(i);
      if (c != '\\') {
        chunk.append(c);
        continue;
      }
      char e = src.charAt(++i);
      if (e == 'x') {
        flush(chunk, out, i);
        out.write(hex(i + 1, 2));
        i += 2;
      } else if (e == 'u') {
        chunk.append((char) hex(i + 1, 4));
        i += 4;
      } else {
        chunk.append(simpleEscape(i, e));
      }
    }
    flush(chunk, out, close);
    return out.toByteArray();
  }

  private void flush(StringBuilder chunk, ByteArrayOutputStream out, int at) {
    for (int k = 0; k < chunk.length(); k++) {
      char c = chunk.charAt(k);
      if (Character.isHighSurrogate(c) && k + 1 < chunk.length()
          && Character.isLowSurrogate(chunk.charAt(k + 1))) {
        k++;
      } else if (Character.isSurrogate(c)) {
        throw error(at, "a byte string cannot hold the lone surrogate \\u"
            + Integer.toHexString(c) + "; write its bytes as \\xNN");
      }
    }
    out.writeBytes(chunk.toString().getBytes(StandardCharsets.UTF_8));
    chunk.setLength(0);
  }

  /** The raw text between the quotes, for base64 data. */
  String rawString(Token t) {
    return src.substring(t.start() + 1, t.end() - 1);
  }

  private char simpleEscape(int at, char e) {
    return switch (e) {
      case 'n' -> '\n';
      case 't' -> '\t';
      case 'r' -> '\r';
      case '"' -> '"';
      case '\\' -> '\\';
      default -> throw error(at - 1, "unknown escape '\\" + e + "'");
    };
  }

  private int hex(int from, int digits) {
    if (from + digits > src.length()) {
      throw error(from - 2, "incomplete escape");
    }
    int v = 0;
    for (int i = from; i < from + digits; i++) {
      int d = Character.digit(src.charAt(i), 16);
      if (d < 0) {
        throw error(from - 2, "escape needs " + digits + " hex digits");
      }
      v = v * 16 + d;
    }
    return v;
  }

  /** A parse error at {@code offset}, prefixed with the source name and line:column. */
  InvalidModelException error(int offset, String message) {
    String where = sourceName == null ? "" : sourceName + ":";
    return new InvalidModelException(where + position(offset) + ": " + message);
  }

  /** {@code line:column} (both 1-based) of a character offset. */
  String position(int offset) {
    int line = 1;
    int lineStart = 0;
    int end = Math.min(offset, src.length());
    for (int i = 0; i < end; i++) {
      if (src.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return line + ":" + (end - lineStart + 1);
  }

  /** How a token reads in an error message. */
  String describe(Token t) {
    return switch (t.kind()) {
      case EOF -> "end of input";
      case IDENT -> "'" + t.text() + "'";
      case VALUE -> "value %" + t.text();
      case NODE_NAME -> "node name @" + t.text();
      case NUMBER -> "number " + t.text();
      case PUNCT -> "'" + t.text() + "'";
      case STRING -> {
        String s = src.substring(t.start(), t.end());
        yield "string " + (s.length() > 30 ? s.substring(0, 27) + "...\"" : s);
      }
    };
  }
}

package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Text ops: StringNormalizer (stop words and case), StringConcat (broadcasting), StringSplit
 * (Python {@code str.split} semantics: a delimiter splits exactly, none splits on whitespace
 * runs), RegexFullMatch ({@link java.util.regex}, which agrees with RE2 on the syntax RE2
 * accepts except for features RE2 rejects anyway) and TfIdfVectorizer over int or string pools.
 */
public final class Strings implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("StringNormalizer", 10).attr("case_change_action", "NONE")
        .attr("is_case_sensitive", 0L).optionalAttr("locale").optionalAttr("stopwords")
        .shape(ctx -> ShapeFns.tensor(DType.STRING, ctx.shape(0).hasRank()
            ? ShapeFns.unknownDims(ctx.shape(0).rank()) : Shape.unknownRank()))
        .kernel(ctx -> one(normalize(ctx)));
    r.op("StringConcat", 20).inputs(2).shape(ShapeFns.broadcastTo(DType.STRING))
        .kernel(ctx -> one(concat(ctx.tensor(0), ctx.tensor(1))));
    r.op("StringSplit", 20).outputs(2).optionalAttr("delimiter").optionalAttr("maxsplit")
        .shape(ctx -> {
          Shape s = ctx.shape(0);
          if (!s.hasRank()) {
            return List.of(new ValueType.TensorType(DType.STRING, Shape.unknownRank()),
                new ValueType.TensorType(DType.INT64, Shape.unknownRank()));
          }
          List<Dim> d = new ArrayList<>(s.dims());
          d.add(Dim.UNKNOWN);
          return List.of(new ValueType.TensorType(DType.STRING, Shape.of(d)),
              new ValueType.TensorType(DType.INT64, s));
        })
        .kernel(Strings::split);
    r.op("RegexFullMatch", 20).optionalAttr("pattern")
        .shape(ShapeFns.sameShapeAs(0, DType.BOOL))
        .kernel(ctx -> one(fullMatch(ctx)));
    r.op("TfIdfVectorizer", 9).requiredAttr("max_gram_length").requiredAttr("max_skip_count")
        .requiredAttr("min_gram_length").requiredAttr("mode").requiredAttr("ngram_counts")
        .requiredAttr("ngram_indexes").optionalAttr("pool_int64s").optionalAttr("pool_strings")
        .optionalAttr("weights")
        .shape(ctx -> {
          long[] idx = ctx.attrLongs("ngram_indexes");
          long size = 0;
          for (long i : idx) {
            size = Math.max(size, i + 1);
          }
          Shape s = ctx.shape(0);
          Shape out = !s.hasRank() ? Shape.unknownRank()
              : s.rank() == 2 ? Shape.of(s.dim(0), Dim.of(size)) : Shape.of(size);
          return ShapeFns.tensor(DType.FLOAT, out);
        })
        .kernel(ctx -> one(tfIdf(ctx)));
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void requireStrings(KernelContext ctx, NdArray x) {
    if (x.dtype() != DType.STRING) {
      throw ctx.error("input must be a string tensor, is " + x.describe());
    }
  }

  // ---- StringNormalizer ----

  private static NdArray normalize(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    requireStrings(ctx, x);
    if (x.rank() > 2 || (x.rank() == 2 && x.dim(0) != 1)) {
      throw ctx.error("input must be [C] or [1, C], is " + x.describe());
    }
    boolean sensitive = ctx.attrLong("is_case_sensitive") != 0;
    String action = ctx.attrString("case_change_action");
    if (!List.of("NONE", "LOWER", "UPPER").contains(action)) {
      throw ctx.error("case_change_action must be NONE, LOWER or UPPER, is '" + action + "'");
    }
    Set<String> stop = new HashSet<>();
    List<String> words = ctx.attrStrings("stopwords");
    if (words != null) {
      for (String w : words) {
        stop.add(sensitive ? w : w.toLowerCase(Locale.ROOT));
      }
    }
    List<byte[]> kept = new ArrayList<>();
    for (byte[] b : x.strings()) {
      String s = text(b);
      if (stop.contains(sensitive ? s : s.toLowerCase(Locale.ROOT))) {
        continue;
      }
      kept.add(bytes(switch (action) {
        case "LOWER" -> s.toLowerCase(Locale.ROOT);
        case "UPPER" -> s.toUpperCase(Locale.ROOT);
        default -> s;
      }));
    }
    // Everything filtered out: one empty string, as the ONNX spec asks.
    if (kept.isEmpty()) {
      kept.add(new byte[0]);
    }
    long[] dims = x.rank() == 2 ? new long[] {1, kept.size()} : new long[] {kept.size()};
    return NdArray.wrap(DType.STRING, dims, kept.toArray(new byte[0][]));
  }

  // ---- StringConcat ----

  private static NdArray concat(NdArray a, NdArray b) {
    long[] dims = Broadcast.shape(a.dims(), b.dims());
    byte[][] x = a.strings();
    byte[][] y = b.strings();
    byte[][] o = new byte[NdArray.checkedSize(dims)][];
    Broadcast.forEachRow(dims, new long[][] {a.dims(), b.dims()}, (p, off, st, len) -> {
      for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) {
        byte[] c = new byte[x[ia].length + y[ib].length];
        System.arraycopy(x[ia], 0, c, 0, x[ia].length);
        System.arraycopy(y[ib], 0, c, x[ia].length, y[ib].length);
        o[p + j] = c;
      }
    });
    return NdArray.wrap(DType.STRING, dims, o);
  }

  // ---- StringSplit ----

  private static List<RuntimeValue> split(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    requireStrings(ctx, x);
    String delimiter = ctx.hasAttr("delimiter") ? ctx.attrString("delimiter") : "";
    long maxSplit = ctx.hasAttr("maxsplit") ? ctx.attrLong("maxsplit") : -1;
    byte[][] in = x.strings();
    List<List<String>> parts = new ArrayList<>(in.length);
    int width = 0;
    for (byte[] b : in) {
      List<String> p = delimiter.isEmpty() ? splitWhitespace(text(b), maxSplit)
          : splitExact(text(b), delimiter, maxSplit);
      parts.add(p);
      width = Math.max(width, p.size());
    }
    long[] dims = x.dims();
    long[] outDims = java.util.Arrays.copyOf(dims, dims.length + 1);
    outDims[dims.length] = width;
    byte[][] out = new byte[in.length * width][];
    long[] counts = new long[in.length];
    for (int i = 0; i < in.length; i++) {
      List<String> p = parts.get(i);
      counts[i] = p.size();
      for (int j = 0; j < width; j++) {
        out[i * width + j] = j < p.size() ? bytes(p.get(j)) : new byte[0];
      }
    }
    return List.of(NdArray.wrap(DType.STRING, outDims, out),
        NdArray.wrap(DType.INT64, dims, counts));
  }

  /** Python's {@code s.split(delimiter, maxsplit)}: empty fields kept. */
  private static List<String> splitExact(String s, String delimiter, long maxSplit) {
    List<String> out = new ArrayList<>();
    int from = 0;
    while (maxSplit < 0 || out.size() < maxSplit) {
      int at = s.indexOf(delimiter, from);
      if (at < 0) {
        break;
      }
      out.add(s.substring(from, at));
      from = at + delimiter.length();
    }
    out.add(s.substring(from));
    return out;
  }

  /** Python's {@code s.split(None, maxsplit)}: whitespace runs, no empty fields. */
  private static List<String> splitWhitespace(String s, long maxSplit) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= n) {
        break;
      }
      if (maxSplit >= 0 && out.size() == maxSplit) {
        int end = n;
        while (end > i && Character.isWhitespace(s.charAt(end - 1))) {
          end--;
        }
        out.add(s.substring(i, end));
        break;
      }
      int j = i;
      while (j < n && !Character.isWhitespace(s.charAt(j))) {
        j++;
      }
      out.add(s.substring(i, j));
      i = j;
    }
    return out;
  }

  // ---- RegexFullMatch ----

  private static NdArray fullMatch(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    requireStrings(ctx, x);
    if (!ctx.hasAttr("pattern")) {
      throw ctx.error("attribute 'pattern' is required");
    }
    Pattern p;
    try {
      p = Pattern.compile(ctx.attrString("pattern"));
    } catch (PatternSyntaxException e) {
      throw ctx.error("invalid pattern: " + e.getDescription());
    }
    byte[][] s = x.strings();
    byte[] o = new byte[s.length];
    for (int i = 0; i < s.length; i++) {
      o[i] = (byte) (p.matcher(text(s[i])).matches() ? 1 : 0);
    }
    return NdArray.wrap(DType.BOOL, x.dims(), o);
  }

  // ---- TfIdfVectorizer ----

  /**
   * Counts the pool's n-grams in each row: for every skip distance 1..max_skip_count+1, each
   * start position and each n-gram length in [min_gram_length, max_gram_length] (unigrams once,
   * as they do not depend on the skip), then weighs the counts by mode TF, IDF or TFIDF.
   */
  private static NdArray tfIdf(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    int minLen = ctx.attrInt("min_gram_length");
    int maxLen = ctx.attrInt("max_gram_length");
    int maxSkip = ctx.attrInt("max_skip_count");
    String mode = ctx.attrString("mode");
    long[] counts = ctx.attrLongs("ngram_counts");
    long[] indexes = ctx.attrLongs("ngram_indexes");
    float[] weights = ctx.attrFloats("weights");
    List<String> pool = new ArrayList<>();
    if (ctx.attr("pool_strings") != null) {
      pool.addAll(ctx.attrStrings("pool_strings"));
    } else if (ctx.attr("pool_int64s") != null) {
      for (long v : ctx.attrLongs("pool_int64s")) {
        pool.add(Long.toString(v));
      }
    } else {
      throw ctx.error("one of pool_int64s and pool_strings is required");
    }
    int outSize = 0;
    for (long i : indexes) {
      outSize = Math.max(outSize, (int) i + 1);
    }
    // n-gram text (items joined by NUL) -> output column, for the lengths in range.
    Map<String, Integer> column = new HashMap<>();
    int id = 0;
    for (int g = 0; g < counts.length; g++) {
      int size = g + 1;
      int from = (int) counts[g];
      int to = g + 1 < counts.length ? (int) counts[g + 1] : pool.size();
      for (int s = from; s + size <= to; s += size) {
        if (size >= minLen && size <= maxLen) {
          if (id >= indexes.length) {
            throw ctx.error("ngram_indexes has fewer entries than the pool has n-grams");
          }
          column.put(String.join("\0", pool.subList(s, s + size)), (int) indexes[id]);
        }
        id++;
      }
    }
    if (x.rank() > 2) {
      throw ctx.error("input must be [C] or [B, C], is " + x.describe());
    }
    int rows = x.rank() == 2 ? (int) x.dim(0) : 1;
    int width = x.rank() == 0 ? 1 : (int) x.dim(x.rank() - 1);
    String[] items = new String[x.size()];
    for (int i = 0; i < items.length; i++) {
      items[i] = x.dtype() == DType.STRING ? text(x.strings()[i]) : Long.toString(x.getLong(i));
    }
    double[] freq = new double[rows * outSize];
    for (int row = 0; row < rows; row++) {
      int base = row * width;
      for (int skip = 1; skip <= maxSkip + 1; skip++) {
        int first = skip == 1 ? minLen : Math.max(minLen, 2);
        for (int start = 0; start < width; start++) {
          StringBuilder key = new StringBuilder();
          for (int n = 1; n <= maxLen; n++) {
            int pos = start + (n - 1) * skip;
            if (pos >= width) {
              break;
            }
            if (n > 1) {
              key.append('\0');
            }
            key.append(items[base + pos]);
            if (n >= first) {
              Integer col = column.get(key.toString());
              if (col != null) {
                freq[row * outSize + col]++;
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < freq.length; i++) {
      int col = i % outSize;
      double w = weights != null && weights.length > 0 ? weights[col] : 1;
      freq[i] = switch (mode) {
        case "TF" -> freq[i];
        case "IDF" -> freq[i] > 0 ? w : 0;
        case "TFIDF" -> freq[i] * w;
        default -> throw ctx.error("mode must be TF, IDF or TFIDF, is '" + mode + "'");
      };
    }
    long[] dims = x.rank() == 2 ? new long[] {rows, outSize} : new long[] {outSize};
    return NdArray.fromDoubles(DType.FLOAT, dims, freq);
  }
}

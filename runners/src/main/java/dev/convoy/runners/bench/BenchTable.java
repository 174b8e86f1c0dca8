package dev.convoy.runners.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A benchmark's result: a titled table, printed as Markdown for the console and docs. */
public final class BenchTable {
  private final String title;
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  public BenchTable(String title, String... header) {
    this.title = title;
    this.header = List.of(header);
  }

  public BenchTable row(Object... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.size());
    }
    rows.add(Arrays.stream(cells).map(BenchTable::format).toList());
    return this;
  }

  public BenchTable note(String note) {
    notes.add(note);
    return this;
  }

  public List<List<String>> rows() {
    return List.copyOf(rows);
  }

  private static String format(Object cell) {
    if (cell instanceof Double d) {
      if (d.isNaN()) {
        return "n/a";
      }
      double a = Math.abs(d);
      return a >= 100 ? String.format("%.0f", d) : a >= 10 ? String.format("%.1f", d) : String.format("%.2f", d);
    }
    return String.valueOf(cell);
  }

  public String markdown() {
    StringBuilder sb = new StringBuilder("### ").append(title).append("\n\n");
    sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
    header.forEach(h -> sb.append("---|"));
    sb.append('\n');
    for (List<String> r : rows) {
      sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    for (String n : notes) {
      sb.append('\n').append(n).append('\n');
    }
    return sb.toString();
  }

  /** Median of {@code samples} (milliseconds or any unit). */
  public static double median(double[] samples) {
    double[] s = samples.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}

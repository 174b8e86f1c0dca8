package dev.convoy.ir.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time spent in kernels per op type, for finding where an evaluator run goes. Filled by an
 * {@link Evaluator} given one with {@link Evaluator#recordOpTimes}; a control-flow node's time
 * includes the nodes of its bodies, which are also counted under their own op types.
 */
public final class OpTimes {
  /** One op type's totals. */
  public record Entry(String op, long calls, long nanos) {}

  private final Map<String, LongAdder[]> totals = new ConcurrentHashMap<>();

  void add(String op, long nanos) {
    LongAdder[] t = totals.computeIfAbsent(op, k -> new LongAdder[] {new LongAdder(),
        new LongAdder()});
    t[0].increment();
    t[1].add(nanos);
  }

  /** Every op type seen, most total time first. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    totals.forEach((op, t) -> out.add(new Entry(op, t[0].sum(), t[1].sum())));
    out.sort(Comparator.comparingLong(Entry::nanos).reversed().thenComparing(Entry::op));
    return out;
  }

  /** Forgets everything recorded (e.g. after warm-up runs). */
  public void clear() {
    totals.clear();
  }

  /** A table: op, calls, total ms, share of the total. */
  @Override
  public String toString() {
    List<Entry> es = entries();
    long all = es.stream().mapToLong(Entry::nanos).sum();
    StringBuilder sb = new StringBuilder();
    for (Entry e : es) {
      sb.append(String.format(Locale.ROOT, "%-24s %7d calls %10.2f ms %5.1f%%%n", e.op(),
          e.calls(), e.nanos() / 1e6, all == 0 ? 0 : 100.0 * e.nanos() / all));
    }
    return sb.toString();
  }
}

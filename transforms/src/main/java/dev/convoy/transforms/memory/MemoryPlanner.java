package dev.convoy.transforms.memory;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.BufferRules;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Plans one arena for the intermediates of a graph (outputs of its nodes that are not graph
 * outputs), and one for each subgraph, recursively. Steps are the nodes in execution order; a
 * tensor lives from the step that writes it to its last reader (a read from inside a subgraph
 * counts as a read by the node owning the subgraph). A node's inputs stay alive while its outputs
 * are written, so a node never writes over what it reads, with two deliberate exceptions:
 *
 * <ul>
 *   <li>aliasing: Reshape, Flatten, Squeeze, Unsqueeze and Identity outputs view their input's
 *       bytes (one buffer lives until the last read of any of its values);
 *   <li>in-place: an elementwise op (or another {@link BufferRules#mayWriteInPlace} names:
 *       Softmax, LayerNormalization, the norms, same-width Cast and Q/DQ) writes into an input of
 *       exactly its output's byte size and storage width whose buffer has its last read at this
 *       op (as ORT's planner does for {@code MayInplace} kernels).
 * </ul>
 *
 * <p>Three planners place the buffers and the smallest arena is kept: best fit in execution
 * order (ORT's pattern planner), greedy by size with best fit among the buffers alive at the same
 * time (TFLite's offset planner), and a hill climb over the greedy order (TVM USMP's, bounded by
 * {@link Options#attempts()}). LOAD, the most bytes alive at one step, is the lower bound.
 * Values are planned per storage class of the evaluator ({@code float[]}, {@code long[]}, {@code
 * byte[]}...): each class gets its own region of the arena, the regions end to end, so the Java
 * arrays that hold them add up to the arena; a graph with values of several classes may need
 * more than LOAD, since one class's bytes are never reused by another's.
 *
 * <p>Sizes need static shapes (run shape inference first); intermediates without one are left
 * out and listed in {@link MemoryPlan#skipped()}. Sizes are rounded up to the alignment.
 */
public final class MemoryPlanner {
  /** Offsets and sizes are multiples of this, as CPU kernels expect of their buffers. */
  public static final int DEFAULT_ALIGNMENT = 64;

  /** Planner names, as recorded in {@link MemoryPlan#planner()}. */
  public static final String IN_ORDER = "in-order-best-fit";
  public static final String BY_SIZE = "greedy-by-size";
  public static final String HILL_CLIMB = "hill-climb";

  private MemoryPlanner() {}

  /**
   * What the planner may do: the alignment of offsets and sizes, whether in-place writes and
   * aliases share bytes, and how many reorderings the hill climb tries.
   */
  public record Options(int alignment, boolean inPlace, boolean aliasing, int attempts) {
    public static Options defaults() {
      return new Options(DEFAULT_ALIGNMENT, true, true, 300);
    }

    public Options withSharing(boolean inPlace, boolean aliasing) {
      return new Options(alignment, inPlace, aliasing, attempts);
    }
  }

  public static MemoryPlan plan(Graph g) {
    return plan(g, Options.defaults());
  }

  /**
   * The smallest plan of {@code g} the options allow. Sharing bytes never raises LOAD but can
   * mislead the heuristics, so with sharing on the plan without it is made too and the smaller
   * arena kept (the shared one on a tie).
   */
  public static MemoryPlan plan(Graph g, Options o) {
    MemoryPlan shared = planOnce(g, o);
    if (!o.inPlace() && !o.aliasing()) {
      return shared;
    }
    MemoryPlan unshared = planOnce(g, o.withSharing(false, false));
    return unshared.arenaBytes() < shared.arenaBytes() ? unshared : shared;
  }

  private static MemoryPlan planOnce(Graph g, Options o) {
    Lifetimes lt = Lifetimes.of(g, o);
    int steps = g.nodes().size();
    long load = load(lt.buffers, steps);
    long[] best = new long[lt.buffers.size()];
    long bestArena = 0;
    String planner = IN_ORDER;
    long largest = -1;
    for (List<Buffer> region : regions(lt.buffers)) {
      Placement p = place(region, steps, o);
      for (int i = 0; i < region.size(); i++) {
        best[region.get(i).origin.index] = bestArena + p.offsets[i];
      }
      if (p.arena > largest) {
        largest = p.arena;
        planner = p.planner;
      }
      bestArena += p.arena;
    }

    List<MemoryPlan.Allocation> allocations = new ArrayList<>();
    long naive = 0;
    for (Member m : lt.members) {
      naive += m.buffer.size;
      allocations.add(new MemoryPlan.Allocation(m.value.name(), best[m.buffer.index],
          m.buffer.size, m.first, m.last, m.sharesWith));
    }
    Map<String, MemoryPlan> subs = new LinkedHashMap<>();
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      List<Graph> gs = nodes.get(i).subgraphs();
      for (int j = 0; j < gs.size(); j++) {
        subs.put(i + "." + j, plan(gs.get(j), o));
      }
    }
    return new MemoryPlan(bestArena, load, naive, planner, lt.inPlace, lt.aliased, allocations,
        lt.skipped, subs);
  }

  /**
   * The arena of the in-order best-fit plan alone, region by region (the bound the chosen plan
   * never exceeds).
   */
  static long inOrderArena(Graph g, Options o) {
    long total = 0;
    for (List<Buffer> region : regions(Lifetimes.of(g, o).buffers)) {
      total += arena(region, inOrderBestFit(region, g.nodes().size()));
    }
    return total;
  }

  /**
   * The lower bound of a plan with one region per storage class: the sum over the classes of the
   * most bytes of that class alive at one step (LOAD when the graph has one class).
   */
  static long classLoad(Graph g, Options o) {
    long total = 0;
    for (List<Buffer> region : regions(Lifetimes.of(g, o).buffers)) {
      total += load(region, g.nodes().size());
    }
    return total;
  }

  /**
   * The buffers split by storage class, each class re-indexed from 0: the evaluator keeps each
   * class in its own Java array, so a class's region never shares bytes with another's and the
   * arrays add up to the arena.
   */
  private static List<List<Buffer>> regions(List<Buffer> bufs) {
    Map<String, List<Buffer>> byClass = new TreeMap<>();
    for (Buffer b : bufs) {
      List<Buffer> region = byClass.computeIfAbsent(b.storage, k -> new ArrayList<>());
      region.add(new Buffer(region.size(), b.size, b.first, b.last, b.storage, b));
    }
    return new ArrayList<>(byClass.values());
  }

  /** Offsets of one region's buffers (by index), its arena and the planner that placed it. */
  private record Placement(long[] offsets, long arena, String planner) {}

  /**
   * The smallest placement of one region the three planners find: in-order best fit, greedy by
   * size, and a hill climb over the greedy order.
   */
  private static Placement place(List<Buffer> bufs, int steps, Options o) {
    long load = load(bufs, steps);
    long[] best = inOrderBestFit(bufs, steps);
    String planner = IN_ORDER;
    long bestArena = arena(bufs, best);
    Placer placer = new Placer(bufs);
    Integer[] order = new Integer[bufs.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -bufs.get(i).size)
        .thenComparingInt(i -> bufs.get(i).first));
    long bySize = placer.place(order);
    if (bySize < bestArena) {
      bestArena = bySize;
      best = placer.offsets.clone();
      planner = BY_SIZE;
    }
    // Hill climb: swap two buffers in the greedy order, keep the swap unless the arena grows.
    Random rnd = new Random(bufs.size());
    long current = bySize;
    int attempts = bufs.size() < 2 ? 0 : o.attempts();
    for (int a = 0; a < attempts && bestArena > load; a++) {
      int i = rnd.nextInt(order.length);
      int j = rnd.nextInt(order.length);
      swap(order, i, j);
      long arena = placer.place(order);
      if (arena <= current) {
        current = arena;
        if (arena < bestArena) {
          bestArena = arena;
          best = placer.offsets.clone();
          planner = HILL_CLIMB;
        }
      } else {
        swap(order, i, j);
      }
    }
    return new Placement(best, bestArena, planner);
  }

  private static void swap(Integer[] a, int i, int j) {
    Integer t = a[i];
    a[i] = a[j];
    a[j] = t;
  }

  /**
   * One arena region: the values sharing it, from the first one's write to the last read, of one
   * storage class; {@code origin} is the graph-wide buffer a region's copy stands for.
   */
  private static final class Buffer {
    final int index;
    final long size;
    final int first;
    int last;
    final String storage;
    final Buffer origin;

    Buffer(int index, long size, int first, int last, String storage, Buffer origin) {
      this.index = index;
      this.size = size;
      this.first = first;
      this.last = last;
      this.storage = storage;
      this.origin = origin;
    }

    boolean overlapsInTime(Buffer o) {
      return first <= o.last && o.first <= last;
    }
  }

  private record Member(Value value, Buffer buffer, int first, int last, String sharesWith) {}

  /** The planned values of one graph grouped into buffers. */
  private static final class Lifetimes {
    final List<Buffer> buffers = new ArrayList<>();
    final List<Member> members = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();
    int inPlace;
    int aliased;

    static Lifetimes of(Graph g, Options o) {
      Lifetimes lt = new Lifetimes();
      List<Node> nodes = g.nodes();
      Map<Node, Integer> step = new IdentityHashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        step.put(nodes.get(i), i);
      }
      Map<Value, Member> planned = new IdentityHashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        for (Value v : n.outputs()) {
          if (v == null || v.isGraphOutput()) {
            continue;
          }
          long bytes = BufferRules.staticBytes(v);
          if (bytes < 0) {
            lt.skipped.add(v.name());
            continue;
          }
          int last = BufferRules.lastRead(g, v, i, step);
          Member host = n.outputCount() == 1 ? lt.host(n, v, bytes, i, o, planned) : null;
          Member m;
          if (host != null) {
            host.buffer.last = Math.max(host.buffer.last, last);
            m = new Member(v, host.buffer, i, last, host.value.name());
          } else {
            Buffer b = new Buffer(lt.buffers.size(), align(bytes, o.alignment()), i, last,
                storageClass(v), null);
            lt.buffers.add(b);
            m = new Member(v, b, i, last, null);
          }
          lt.members.add(m);
          planned.put(v, m);
        }
      }
      return lt;
    }

    /** The planned input whose buffer {@code out} of {@code n} shares, counting it, or null. */
    private Member host(Node n, Value out, long bytes, int step, Options o,
        Map<Value, Member> planned) {
      if (n.inputCount() == 0) {
        return null;
      }
      if (o.aliasing() && BufferRules.isAlias(n)) {
        Member in = planned.get(n.input(0));
        if (in != null && BufferRules.staticBytes(in.value) == bytes) {
          aliased++;
          return in;
        }
        return null;
      }
      if (o.inPlace()) {
        int k = n.outputs().indexOf(out);
        for (int i = 0; i < n.inputCount(); i++) {
          Member in = n.input(i) == null ? null : planned.get(n.input(i));
          if (in != null && BufferRules.mayWriteInPlace(n, k, i) && in.buffer.last == step
              && BufferRules.staticBytes(in.value) == bytes && BufferRules.sameStorage(
                  in.value.tensorType().dtype(), out.tensorType().dtype())) {
            inPlace++;
            return in;
          }
        }
      }
      return null;
    }
  }

  /** LOAD: the most buffer bytes alive at one step. */
  private static long load(List<Buffer> bufs, int steps) {
    long[] alive = new long[steps + 1];
    for (Buffer b : bufs) {
      alive[b.first] += b.size;
      alive[b.last + 1] -= b.size;
    }
    long load = 0;
    long cur = 0;
    for (long a : alive) {
      cur += a;
      load = Math.max(load, cur);
    }
    return load;
  }

  private static long arena(List<Buffer> bufs, long[] offsets) {
    long end = 0;
    for (Buffer b : bufs) {
      end = Math.max(end, offsets[b.index] + b.size);
    }
    return end;
  }

  /** Best fit in execution order: a step's new buffers are placed, then its dead ones freed. */
  private static long[] inOrderBestFit(List<Buffer> bufs, int steps) {
    List<List<Buffer>> definedAt = new ArrayList<>();
    List<List<Buffer>> freedAt = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      definedAt.add(new ArrayList<>());
      freedAt.add(new ArrayList<>());
    }
    for (Buffer b : bufs) {
      definedAt.get(b.first).add(b);
      freedAt.get(b.last).add(b);
    }
    FreeList free = new FreeList();
    long[] offsets = new long[bufs.size()];
    for (int s = 0; s < steps; s++) {
      for (Buffer b : definedAt.get(s)) {
        offsets[b.index] = free.allocate(b.size);
      }
      for (Buffer b : freedAt.get(s)) {
        free.release(offsets[b.index], b.size);
      }
    }
    return offsets;
  }

  /**
   * Places buffers in a given order, each into the smallest gap between the already placed
   * buffers alive at the same time that holds it, else above them all.
   */
  private static final class Placer {
    final List<Buffer> bufs;
    final int[][] neighbours;
    final long[] offsets;
    private final boolean[] placed;

    Placer(List<Buffer> bufs) {
      this.bufs = bufs;
      this.offsets = new long[bufs.size()];
      this.placed = new boolean[bufs.size()];
      // Buffers overlapping in time, found by sweeping buffers sorted by first step.
      List<List<Integer>> adj = new ArrayList<>();
      for (int i = 0; i < bufs.size(); i++) {
        adj.add(new ArrayList<>());
      }
      List<Buffer> byFirst = new ArrayList<>(bufs);
      byFirst.sort(Comparator.comparingInt(b -> b.first));
      for (int i = 0; i < byFirst.size(); i++) {
        Buffer a = byFirst.get(i);
        for (int j = i + 1; j < byFirst.size() && byFirst.get(j).first <= a.last; j++) {
          Buffer b = byFirst.get(j);
          adj.get(a.index).add(b.index);
          adj.get(b.index).add(a.index);
        }
      }
      neighbours = new int[bufs.size()][];
      for (int i = 0; i < bufs.size(); i++) {
        neighbours[i] = adj.get(i).stream().mapToInt(Integer::intValue).toArray();
      }
    }

    long place(Integer[] order) {
      Arrays.fill(placed, false);
      long arena = 0;
      long[][] spans = new long[0][];
      for (int idx : order) {
        Buffer b = bufs.get(idx);
        int[] nb = neighbours[idx];
        if (spans.length < nb.length) {
          spans = new long[nb.length][2];
        }
        int k = 0;
        for (int n : nb) {
          if (placed[n]) {
            spans[k][0] = offsets[n];
            spans[k][1] = offsets[n] + bufs.get(n).size;
            k++;
          }
        }
        Arrays.sort(spans, 0, k, Comparator.comparingLong(s -> s[0]));
        long prevEnd = 0;
        long bestAt = -1;
        long bestGap = Long.MAX_VALUE;
        for (int s = 0; s < k; s++) {
          long gap = spans[s][0] - prevEnd;
          if (gap >= b.size && gap < bestGap) {
            bestGap = gap;
            bestAt = prevEnd;
          }
          prevEnd = Math.max(prevEnd, spans[s][1]);
        }
        offsets[idx] = bestAt >= 0 ? bestAt : prevEnd;
        placed[idx] = true;
        arena = Math.max(arena, offsets[idx] + b.size);
      }
      return arena;
    }
  }

  /**
   * The evaluator's storage class of {@code v}'s elements ({@code float[]}, {@code long[]}...),
   * or "heap" for the types it keeps off the arena (strings, packed sub-byte types).
   */
  private static String storageClass(Value v) {
    DType t = v.tensorType().dtype();
    if (t == DType.STRING || NarrowTypes.packedBits(t) > 0 || !t.isSupported()) {
      return "heap";
    }
    return NdArray.storageClass(t).getSimpleName();
  }

  private static long align(long bytes, int alignment) {
    long a = Math.max(1, alignment);
    return Math.max(a, (bytes + a - 1) / a * a);
  }

  /** Free blocks of the arena by offset; the arena grows at its end when nothing fits. */
  private static final class FreeList {
    private final TreeMap<Long, Long> blocks = new TreeMap<>();
    private long arenaEnd;

    long allocate(long size) {
      Long best = null;
      for (var e : blocks.entrySet()) {
        if (e.getValue() >= size && (best == null || e.getValue() < blocks.get(best))) {
          best = e.getKey();
        }
      }
      if (best != null) {
        long blockSize = blocks.remove(best);
        if (blockSize > size) {
          blocks.put(best + size, blockSize - size);
        }
        return best;
      }
      // Nothing fits: extend the arena, reusing a free block that ends at the arena end.
      var tail = blocks.lastEntry();
      if (tail != null && tail.getKey() + tail.getValue() == arenaEnd) {
        blocks.remove(tail.getKey());
        arenaEnd = tail.getKey() + size;
        return tail.getKey();
      }
      long at = arenaEnd;
      arenaEnd += size;
      return at;
    }

    void release(long offset, long size) {
      long start = offset;
      long end = offset + size;
      var before = blocks.floorEntry(start);
      if (before != null && before.getKey() + before.getValue() == start) {
        start = before.getKey();
        blocks.remove(before.getKey());
      }
      Long after = blocks.get(end);
      if (after != null) {
        blocks.remove(end);
        end += after;
      }
      blocks.put(start, end - start);
    }
  }
}

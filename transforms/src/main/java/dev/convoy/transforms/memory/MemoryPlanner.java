package dev.convoy.transforms.memory;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Plans one arena for the intermediates of a graph (outputs of top-level nodes that are not graph
 * outputs), walking the nodes in execution order: at each step the node's outputs are placed with
 * best fit (the smallest free block that holds them, else the end of the arena), then the tensors
 * whose last reader is this node are freed, merging neighbouring free blocks. A node's inputs
 * stay alive while its outputs are written, so a node never writes over what it reads. A read
 * from inside a subgraph counts as a read by the node owning the subgraph.
 *
 * <p>Sizes need static shapes (run shape inference first); intermediates without one are left
 * out and listed in {@link MemoryPlan#skipped()}. Sizes are rounded up to the alignment.
 */
public final class MemoryPlanner {
  /** Offsets and sizes are multiples of this, as CPU kernels expect of their buffers. */
  public static final int DEFAULT_ALIGNMENT = 64;

  private MemoryPlanner() {}

  public static MemoryPlan plan(Graph g) {
    return plan(g, DEFAULT_ALIGNMENT);
  }

  public static MemoryPlan plan(Graph g, int alignment) {
    List<Node> nodes = g.nodes();
    Map<Node, Integer> step = new IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      step.put(nodes.get(i), i);
    }
    List<Interval> intervals = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (Value v : nodes.get(i).outputs()) {
        if (v == null || v.isGraphOutput()) {
          continue;
        }
        long bytes = staticBytes(v);
        if (bytes < 0) {
          skipped.add(v.name());
          continue;
        }
        intervals.add(new Interval(v.name(), align(bytes, alignment), i, lastRead(g, v, i, step)));
      }
    }

    // Lower bound: the most bytes alive at any one step.
    long[] alive = new long[nodes.size() + 1];
    long naive = 0;
    for (Interval t : intervals) {
      naive += t.size;
      for (int s = t.first; s <= t.last; s++) {
        alive[s] += t.size;
      }
    }
    long lowerBound = 0;
    for (long a : alive) {
      lowerBound = Math.max(lowerBound, a);
    }

    // Best fit in execution order.
    List<List<Interval>> definedAt = buckets(intervals, nodes.size(), true);
    List<List<Interval>> freedAt = buckets(intervals, nodes.size(), false);
    FreeList free = new FreeList();
    Map<Interval, Long> offsets = new IdentityHashMap<>();
    for (int s = 0; s < nodes.size(); s++) {
      for (Interval t : definedAt.get(s)) {
        offsets.put(t, free.allocate(t.size));
      }
      for (Interval t : freedAt.get(s)) {
        free.release(offsets.get(t), t.size);
      }
    }
    List<MemoryPlan.Allocation> allocations = new ArrayList<>();
    for (Interval t : intervals) {
      allocations.add(new MemoryPlan.Allocation(t.name, offsets.get(t), t.size, t.first, t.last));
    }
    return new MemoryPlan(free.arenaEnd, lowerBound, naive, allocations, skipped);
  }

  private record Interval(String name, long size, int first, int last) {}

  private static List<List<Interval>> buckets(List<Interval> all, int steps, boolean byFirst) {
    List<List<Interval>> out = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      out.add(new ArrayList<>());
    }
    for (Interval t : all) {
      out.get(byFirst ? t.first : t.last).add(t);
    }
    return out;
  }

  /** The step of the last top-level node that reads {@code v}; its own step when none does. */
  private static int lastRead(Graph top, Value v, int defined, Map<Node, Integer> step) {
    int last = defined;
    for (Use u : v.uses()) {
      last = Math.max(last, step.get(u.node().enclosingNodeIn(top)));
    }
    return last;
  }

  /** Byte size of a static tensor value, or -1 when it has none (unknown shape, strings...). */
  static long staticBytes(Value v) {
    ValueType.TensorType t = v.tensorType();
    if (t == null || !t.shape().isStatic() || t.dtype() == DType.STRING) {
      return -1;
    }
    if (t.dtype() == DType.INT4 || t.dtype() == DType.UINT4 || t.dtype() == DType.FLOAT4E2M1) {
      return (t.shape().numElements() + 1) / 2;
    }
    return Math.multiplyExact(t.shape().numElements(), (long) t.dtype().byteSize());
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

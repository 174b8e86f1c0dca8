package dev.convoy.ir.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * Places blocks that each live over a range of steps at offsets of one address space, so that
 * blocks alive at the same step never overlap, in as few bytes as it finds. Three planners run
 * and the smallest result is kept: best fit in execution order (ORT's pattern planner), greedy
 * by size with best fit among the blocks alive at the same time (TFLite's offset planner), and a
 * hill climb over the greedy order (TVM USMP's, bounded by its number of attempts). The memory
 * planner places a graph's buffers with it; the evaluator places the segments of each of its
 * per-storage-class arrays with it.
 */
public final class OffsetPlanner {
  /** Planner names, as recorded in {@link MemoryPlan#planner()}. */
  public static final String IN_ORDER = "in-order-best-fit";
  public static final String BY_SIZE = "greedy-by-size";
  public static final String HILL_CLIMB = "hill-climb";

  private OffsetPlanner() {}

  /** A block of {@code size} bytes alive from step {@code first} to step {@code last}. */
  public record Block(long size, int first, int last) {
    boolean overlapsInTime(Block o) {
      return first <= o.last && o.first <= last;
    }
  }

  /** Offsets of the blocks (by index), the bytes they span and the planner that placed them. */
  public record Placement(long[] offsets, long arena, String planner) {}

  /** LOAD: the most bytes of blocks alive at one step, below which no placement goes. */
  public static long load(List<Block> blocks) {
    long[] alive = new long[steps(blocks) + 1];
    for (Block b : blocks) {
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

  /**
   * The smallest placement the three planners find, the hill climb trying at most {@code
   * attempts} swaps (and stopping at LOAD).
   */
  public static Placement place(List<Block> blocks, int attempts) {
    long load = load(blocks);
    long[] best = inOrderBestFit(blocks);
    String planner = IN_ORDER;
    long bestArena = arena(blocks, best);
    Placer placer = new Placer(blocks);
    Integer[] order = new Integer[blocks.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -blocks.get(i).size)
        .thenComparingInt(i -> blocks.get(i).first));
    long bySize = placer.place(order);
    if (bySize < bestArena) {
      bestArena = bySize;
      best = placer.offsets.clone();
      planner = BY_SIZE;
    }
    // Hill climb: swap two blocks in the greedy order, keep the swap unless the arena grows.
    Random rnd = new Random(blocks.size());
    long current = bySize;
    int tries = blocks.size() < 2 ? 0 : attempts;
    for (int a = 0; a < tries && bestArena > load; a++) {
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

  /** The bytes the in-order best-fit placement alone spans (the bound {@link #place} keeps). */
  public static long inOrderArena(List<Block> blocks) {
    return arena(blocks, inOrderBestFit(blocks));
  }

  private static void swap(Integer[] a, int i, int j) {
    Integer t = a[i];
    a[i] = a[j];
    a[j] = t;
  }

  private static int steps(List<Block> blocks) {
    int steps = 0;
    for (Block b : blocks) {
      steps = Math.max(steps, b.last + 1);
    }
    return steps;
  }

  private static long arena(List<Block> blocks, long[] offsets) {
    long end = 0;
    for (int i = 0; i < blocks.size(); i++) {
      end = Math.max(end, offsets[i] + blocks.get(i).size);
    }
    return end;
  }

  /** Best fit in execution order: a step's new blocks are placed, then its dead ones freed. */
  private static long[] inOrderBestFit(List<Block> blocks) {
    int steps = steps(blocks);
    List<List<Integer>> definedAt = new ArrayList<>();
    List<List<Integer>> freedAt = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      definedAt.add(new ArrayList<>());
      freedAt.add(new ArrayList<>());
    }
    for (int i = 0; i < blocks.size(); i++) {
      definedAt.get(blocks.get(i).first).add(i);
      freedAt.get(blocks.get(i).last).add(i);
    }
    FreeList free = new FreeList();
    long[] offsets = new long[blocks.size()];
    for (int s = 0; s < steps; s++) {
      for (int b : definedAt.get(s)) {
        offsets[b] = free.allocate(blocks.get(b).size);
      }
      for (int b : freedAt.get(s)) {
        free.release(offsets[b], blocks.get(b).size);
      }
    }
    return offsets;
  }

  /**
   * Places blocks in a given order, each into the smallest gap between the already placed
   * blocks alive at the same time that holds it, else above them all.
   */
  private static final class Placer {
    final List<Block> blocks;
    final int[][] neighbours;
    final long[] offsets;
    private final boolean[] placed;

    Placer(List<Block> blocks) {
      this.blocks = blocks;
      this.offsets = new long[blocks.size()];
      this.placed = new boolean[blocks.size()];
      // Blocks overlapping in time, found by sweeping the blocks sorted by first step.
      List<List<Integer>> adj = new ArrayList<>();
      for (int i = 0; i < blocks.size(); i++) {
        adj.add(new ArrayList<>());
      }
      Integer[] byFirst = new Integer[blocks.size()];
      for (int i = 0; i < byFirst.length; i++) {
        byFirst[i] = i;
      }
      Arrays.sort(byFirst, Comparator.comparingInt(i -> blocks.get(i).first));
      for (int i = 0; i < byFirst.length; i++) {
        Block a = blocks.get(byFirst[i]);
        for (int j = i + 1; j < byFirst.length && blocks.get(byFirst[j]).first <= a.last; j++) {
          adj.get(byFirst[i]).add(byFirst[j]);
          adj.get(byFirst[j]).add(byFirst[i]);
        }
      }
      neighbours = new int[blocks.size()][];
      for (int i = 0; i < blocks.size(); i++) {
        neighbours[i] = adj.get(i).stream().mapToInt(Integer::intValue).toArray();
      }
    }

    long place(Integer[] order) {
      Arrays.fill(placed, false);
      long arena = 0;
      long[][] spans = new long[0][];
      for (int idx : order) {
        Block b = blocks.get(idx);
        int[] nb = neighbours[idx];
        if (spans.length < nb.length) {
          spans = new long[nb.length][2];
        }
        int k = 0;
        for (int n : nb) {
          if (placed[n]) {
            spans[k][0] = offsets[n];
            spans[k][1] = offsets[n] + blocks.get(n).size;
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

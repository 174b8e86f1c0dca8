package dev.convoy.ir.eval;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.BufferRules;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.OffsetPlanner;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The intermediates of one graph activation, held where a {@link MemoryPlan} puts them. A plan
 * places every value in one byte address space, as an engine with one allocation runs it, and
 * reuses a dead value's bytes for a value of any element type. Kernels here work on primitive
 * arrays, so the arena is one array per storage class ({@code float[]}, {@code long[]}...): each
 * class's values keep their planned lifetimes and sharing, and are laid out in their array either
 * as the plan lays them out (its byte ranges merged into segments, offsets inside a segment kept)
 * or buffer by buffer, whichever takes fewer bytes (see {@link Layout}); units alive at different
 * steps may share elements. On a graph of one class the arrays are at most the plan's arena; with
 * several classes they add up to at least the sum of each class's peak, which may exceed the
 * plan's arena, since no class's array can hold another's bytes.
 *
 * <p>Readers get a value as a view of its planned elements ({@link NdArray#view}); a kernel asks
 * for its output through {@link dev.convoy.ir.ops.KernelContext#output} and gets a view of the
 * output's planned place, which it writes in place; an output a kernel computed elsewhere is copied
 * there. An aliased output (Reshape, Flatten, Squeeze, Unsqueeze, Identity sharing its input's
 * place) is a view of those bytes under its own shape, made without running the kernel.
 *
 * <p>Values the plan leaves out (dynamic shapes), graph outputs and values of sub-byte or string
 * types live on the heap as in an unplanned run. A kernel output larger than its planned place is
 * an error naming the value: the plan does not fit the graph it runs.
 */
final class Arena {
  /** Storage classes, in the order of {@link Layout#lengths}. */
  private static final List<Class<?>> CLASSES = List.of(float[].class, double[].class,
      long[].class, int[].class, short[].class, byte[].class);
  private static final int[] ELEMENT_BYTES = {4, 8, 8, 4, 2, 1};
  /** The widest element: units placed at multiples of it keep every class's elements whole. */
  private static final int MAX_WIDTH = 8;
  /** Hill-climb swaps when placing a class's units (once per graph per session). */
  private static final int UNIT_ATTEMPTS = 100;

  /**
   * Where one planned value lives: storage class, element offset and capacity in elements;
   * {@code host} is the value whose place this one shares by design (an alias op's or an in-place
   * op's input at the same offset and class), or null; {@code alias} whether it is an alias op's.
   */
  private record Slot(int storage, int offset, int capacity, Value host, boolean alias) {}

  /**
   * The places of one graph's planned values and the array lengths they need, with the layouts
   * of its subgraphs (by graph identity).
   */
  static final class Layout {
    private final Map<Value, Slot> slots = new IdentityHashMap<>();
    private final int[] lengths = new int[CLASSES.size()];
    /** Per storage class, the most bytes of its buffers alive at one step. */
    private final long[] peaks = new long[CLASSES.size()];
    final Map<Graph, Layout> subgraphs = new IdentityHashMap<>();

    /** The layout of {@code plan}, which {@link dev.convoy.ir.memory.MemoryPlanCheck} passed. */
    static Layout of(Graph g, MemoryPlan plan) {
      Layout layout = new Layout();
      Map<String, Value> outputs = new HashMap<>();
      List<Node> nodes = g.nodes();
      for (Node n : nodes) {
        for (Value v : n.outputs()) {
          if (v != null) {
            outputs.put(v.name(), v);
          }
        }
      }
      Map<String, MemoryPlan.Allocation> byName = new HashMap<>();
      plan.allocations().forEach(a -> byName.put(a.value(), a));
      List<List<MemoryPlan.Allocation>> byClass = new ArrayList<>();
      CLASSES.forEach(c -> byClass.add(new ArrayList<>()));
      for (MemoryPlan.Allocation a : plan.allocations()) {
        int storage = storageOf(outputs.get(a.value()));
        if (storage >= 0) {
          byClass.get(storage).add(a);
        }
      }
      for (int storage = 0; storage < CLASSES.size(); storage++) {
        layout.place(storage, byClass.get(storage), outputs, byName);
      }
      for (var e : plan.subgraphs().entrySet()) {
        String[] ij = e.getKey().split("\\.");
        Graph sub = nodes.get(Integer.parseInt(ij[0])).subgraphs().get(Integer.parseInt(ij[1]));
        layout.subgraphs.put(sub, of(sub, e.getValue()));
      }
      return layout;
    }

    /**
     * Slots for the values of one storage class, in the smaller of two layouts of the class's
     * array (the first on a tie). Both keep the plan's lifetimes and its sharing (an alias or an
     * in-place output sits on its input's elements); units alive at different steps may take the
     * same elements, placed by {@link OffsetPlanner}:
     *
     * <ul>
     *   <li>the plan's own geometry: the class's planned byte ranges merged into segments (ranges
     *       that overlap), the planned offsets kept inside each, so values of the class that the
     *       plan lays over each other overlap the same way here;
     *   <li>its buffers: each value with the values sharing its bytes, placed on its own.
     * </ul>
     *
     * <p>A plan reuses bytes across storage classes (a dead float tensor's for an int8 one); one
     * array per class cannot, and on a graph of several classes the segments of a class may lie
     * all over the plan's span while the class has few bytes alive at once: placing its buffers
     * again keeps its array near that peak.
     */
    private void place(int storage, List<MemoryPlan.Allocation> values,
        Map<String, Value> outputs, Map<String, MemoryPlan.Allocation> byName) {
      values.sort(Comparator.comparingLong(MemoryPlan.Allocation::offset));
      Units segments = Units.segments(values);
      Units buffers = Units.buffers(values, byName);
      Units units = buffers.span < segments.span ? buffers : segments;
      peaks[storage] = OffsetPlanner.load(buffers.units);
      int width = ELEMENT_BYTES[storage];
      for (int i = 0; i < values.size(); i++) {
        MemoryPlan.Allocation a = values.get(i);
        long from = units.at(i);
        if (from % width != 0 || a.size() % width != 0) {
          throw new ConvoyException("memory plan: '" + a.value() + "' at byte offset " + a.offset()
              + " is not aligned to its " + width + "-byte elements");
        }
        long end = (from + a.size()) / width;
        if (end > Integer.MAX_VALUE - 8) {
          throw new ConvoyException("memory plan: arena of " + (from + a.size())
              + " bytes is more than one Java array holds");
        }
        lengths[storage] = (int) Math.max(lengths[storage], end);
        Value v = outputs.get(a.value());
        Value host = host(v, a, byName);
        slots.put(v, new Slot(storage, (int) (from / width), (int) (a.size() / width), host,
            host != null && BufferRules.isAlias(v.producer())));
      }
    }

    /** The input of {@code v}'s producer whose place {@code v} shares exactly, or null. */
    private static Value host(Value v, MemoryPlan.Allocation a,
        Map<String, MemoryPlan.Allocation> byName) {
      if (a.sharesWith() == null) {
        return null;
      }
      MemoryPlan.Allocation host = byName.get(a.sharesWith());
      if (host == null || host.offset() != a.offset()) {
        return null;
      }
      for (Value in : v.producer().inputs()) {
        if (in != null && in.name().equals(a.sharesWith()) && storageOf(in) == storageOf(v)) {
          return in;
        }
      }
      return null;
    }

    /** Bytes of this graph's arrays (subgraphs not included). */
    long bytes() {
      long total = 0;
      for (int i = 0; i < lengths.length; i++) {
        total += (long) lengths[i] * ELEMENT_BYTES[i];
      }
      return total;
    }

    /** Bytes of this graph's arrays and, once each, its subgraphs' (nested ones included). */
    long totalBytes() {
      long total = bytes();
      for (Layout sub : subgraphs.values()) {
        total += sub.totalBytes();
      }
      return total;
    }

    /**
     * Per storage class ({@code "float[]"}...), the most planned bytes of that class alive at one
     * step, this graph's plus, once each, its subgraphs' (nested ones included): the least one
     * array per class can hold the plan in. Classes without planned values are left out.
     */
    Map<String, Long> totalPeaks() {
      Map<String, Long> total = new java.util.TreeMap<>();
      for (int i = 0; i < peaks.length; i++) {
        if (peaks[i] > 0) {
          total.merge(CLASSES.get(i).getSimpleName(), peaks[i], Long::sum);
        }
      }
      for (Layout sub : subgraphs.values()) {
        sub.totalPeaks().forEach((k, v) -> total.merge(k, v, Long::sum));
      }
      return total;
    }

    /** Whether {@code arrays} (an earlier run's) are exactly the arrays this layout needs. */
    boolean fits(Object[] arrays) {
      for (int i = 0; i < lengths.length; i++) {
        boolean ok = lengths[i] == 0 ? arrays[i] == null
            : arrays[i] != null && java.lang.reflect.Array.getLength(arrays[i]) == lengths[i];
        if (!ok) {
          return false;
        }
      }
      return true;
    }

    /** The arrays of one arena; one allocation per storage class this graph uses. */
    Object[] allocate() {
      Object[] storage = new Object[CLASSES.size()];
      for (int i = 0; i < storage.length; i++) {
        if (lengths[i] > 0) {
          storage[i] = java.lang.reflect.Array.newInstance(CLASSES.get(i).componentType(),
              lengths[i]);
        }
      }
      return storage;
    }
  }

  /**
   * One storage class's values grouped into units that keep their planned relative places, and
   * where {@link OffsetPlanner} puts the units in the class's array ({@code span} bytes): value
   * {@code i} (in the order given) lies {@code within[i]} bytes into unit {@code unitOf[i]}.
   */
  private static final class Units {
    final int[] unitOf;
    final long[] within;
    final List<OffsetPlanner.Block> units;
    final long[] offsets;
    final long span;

    private Units(int[] unitOf, long[] within, List<OffsetPlanner.Block> units) {
      this.unitOf = unitOf;
      this.within = within;
      this.units = units;
      OffsetPlanner.Placement p = OffsetPlanner.place(units, UNIT_ATTEMPTS);
      this.offsets = p.offsets();
      this.span = p.arena();
    }

    /** Byte offset of value {@code i} in the class's array. */
    long at(int i) {
      return offsets[unitOf[i]] + within[i];
    }

    /** Units of planned byte ranges that overlap ({@code values} sorted by offset). */
    static Units segments(List<MemoryPlan.Allocation> values) {
      int[] unitOf = new int[values.size()];
      long[] within = new long[values.size()];
      List<OffsetPlanner.Block> units = new ArrayList<>();
      long start = 0;
      long end = -1;
      int first = 0;
      int last = 0;
      for (int i = 0; i < values.size(); i++) {
        MemoryPlan.Allocation a = values.get(i);
        if (a.offset() >= end) {
          if (end >= 0) {
            units.add(block(end - start, first, last));
          }
          start = a.offset();
          end = a.offset();
          first = a.firstStep();
          last = a.lastStep();
        }
        end = Math.max(end, a.offset() + a.size());
        first = Math.min(first, a.firstStep());
        last = Math.max(last, a.lastStep());
        unitOf[i] = units.size();
        within[i] = a.offset() - start;
      }
      if (end >= 0) {
        units.add(block(end - start, first, last));
      }
      return new Units(unitOf, within, units);
    }

    /** Units of one buffer each: a value and the values sharing its planned bytes. */
    static Units buffers(List<MemoryPlan.Allocation> values,
        Map<String, MemoryPlan.Allocation> byName) {
      int[] unitOf = new int[values.size()];
      Map<String, Integer> byRoot = new HashMap<>();
      List<long[]> spans = new ArrayList<>();
      for (int i = 0; i < values.size(); i++) {
        MemoryPlan.Allocation a = values.get(i);
        Integer u = byRoot.putIfAbsent(MemoryPlan.root(a, byName), spans.size());
        if (u == null) {
          u = spans.size();
          spans.add(new long[] {a.size(), a.firstStep(), a.lastStep()});
        }
        long[] span = spans.get(u);
        span[1] = Math.min(span[1], a.firstStep());
        span[2] = Math.max(span[2], a.lastStep());
        unitOf[i] = u;
      }
      List<OffsetPlanner.Block> units = new ArrayList<>();
      spans.forEach(sp -> units.add(block(sp[0], (int) sp[1], (int) sp[2])));
      return new Units(unitOf, new long[values.size()], units);
    }

    /** A unit of {@code bytes} rounded up to whole elements of the widest class. */
    private static OffsetPlanner.Block block(long bytes, int first, int last) {
      return new OffsetPlanner.Block((bytes + MAX_WIDTH - 1) / MAX_WIDTH * MAX_WIDTH, first,
          last);
    }
  }

  private final Layout layout;
  private final Object[] storage;
  private final ArenaUse use;
  /** Dimensions of the planned values written and not yet released. */
  private final Map<Value, long[]> live = new IdentityHashMap<>();

  Arena(Layout layout, Object[] storage, ArenaUse use) {
    this.layout = layout;
    this.storage = storage;
    this.use = use;
  }

  /** Whether {@code v} lives in this arena when written. */
  boolean holds(Value v) {
    return layout.slots.containsKey(v);
  }

  /** Whether {@code v} was written here and is not released. */
  boolean isLive(Value v) {
    return live.containsKey(v);
  }

  /** Whether {@code array} is one of this arena's arrays. */
  boolean owns(Object array) {
    for (Object a : storage) {
      if (a == array) {
        return true;
      }
    }
    return false;
  }

  /** Live planned value {@code v} as a view of its planned elements (no copy). */
  NdArray view(Value v) {
    Slot s = layout.slots.get(v);
    return NdArray.view(v.tensorType().dtype(), live.get(v), storage[s.storage], s.offset);
  }

  /**
   * The planned place of {@code v} as a view of {@code dims} for a kernel to write into: zeros,
   * or the elements of the live input whose place the plan makes it share.
   */
  NdArray place(Value v, DType dtype, long[] dims) {
    Slot s = layout.slots.get(v);
    long n = elements(dims);
    if (n > s.capacity) {
      throw new ConvoyException("memory plan: '" + v.name() + "' is " + Arrays.toString(dims)
          + " at run time, which does not fit its planned " + s.capacity + " elements");
    }
    NdArray view = NdArray.view(dtype, dims, storage[s.storage], s.offset);
    if (s.host == null || !live.containsKey(s.host)) {
      fill(storage[s.storage], s.offset, (int) n);
    }
    return view;
  }

  /** Whether output {@code v}, of element type {@code dtype}, can be written at its place. */
  boolean canPlace(Value v, DType dtype) {
    Slot s = layout.slots.get(v);
    return s != null && CLASSES.get(s.storage) == NdArray.storageClass(dtype);
  }

  private static void fill(Object a, int from, int n) {
    if (a instanceof float[] f) {
      Arrays.fill(f, from, from + n, 0f);
    } else if (a instanceof double[] d) {
      Arrays.fill(d, from, from + n, 0d);
    } else if (a instanceof long[] l) {
      Arrays.fill(l, from, from + n, 0L);
    } else if (a instanceof int[] i) {
      Arrays.fill(i, from, from + n, 0);
    } else if (a instanceof short[] h) {
      Arrays.fill(h, from, from + n, (short) 0);
    } else {
      Arrays.fill((byte[]) a, from, from + n, (byte) 0);
    }
  }

  private static long elements(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /**
   * Makes {@code r}, the kernel's output for {@code v}, live at {@code v}'s planned place: as it
   * is when the kernel wrote it there, else copied there.
   */
  void write(Value v, RuntimeValue r) {
    Slot s = layout.slots.get(v);
    if (!(r instanceof NdArray a) || a.array().getClass() != CLASSES.get(s.storage)
        || a.size() > s.capacity) {
      throw new ConvoyException("memory plan: '" + v.name() + "' is " + r.describe()
          + " at run time, which does not fit its planned " + s.capacity + " elements");
    }
    if (a.array() == storage[s.storage] && a.offset() == s.offset) {
      use.computedInArena();
    } else {
      System.arraycopy(a.array(), a.offset(), storage[s.storage], s.offset, a.size());
      use.copiedIn(a.size() * (long) ELEMENT_BYTES[s.storage]);
    }
    live.put(v, a.dims());
    use.written();
  }

  /**
   * Makes {@code n}'s output a view of its input's planned bytes when the plan says it aliases
   * them and the input is live here; false when the node must run.
   */
  boolean view(Node n) {
    if (n.outputCount() != 1 || n.output(0) == null) {
      return false;
    }
    Value out = n.output(0);
    Slot s = layout.slots.get(out);
    if (s == null || !s.alias || !live.containsKey(s.host)) {
      return false;
    }
    long[] dims = out.tensorType().shape().sizes();
    if (elements(dims) != elements(live.get(s.host))) {
      return false;
    }
    live.put(out, dims);
    use.viewed();
    return true;
  }

  void release(Value v) {
    live.remove(v);
  }

  /** The storage class index of {@code v}'s element type, or -1 when it stays on the heap. */
  private static int storageOf(Value v) {
    if (v == null || !(v.type() instanceof ValueType.TensorType t)
        || t.dtype() == DType.STRING || NarrowTypes.packedBits(t.dtype()) > 0) {
      return -1;
    }
    try {
      return CLASSES.indexOf(NdArray.storageClass(t.dtype()));
    } catch (RuntimeException unsupported) {
      return -1;
    }
  }
}

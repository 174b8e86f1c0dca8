package dev.convoy.ir.eval;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.BufferRules;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The intermediates of one graph activation, held where a {@link MemoryPlan} puts them. Kernels
 * work on primitive arrays indexed from zero, so the arena is one array per storage class
 * ({@code float[]}, {@code long[]}...), each spanning the planned bytes that values of that class
 * occupy, from the lowest offset {@code base} of one of them to the highest end: a value at
 * planned byte offset {@code o} starts at element {@code (o - base) / size} of its class's array
 * (plans align offsets to 64 bytes, so the division is exact). A kernel's output
 * is copied to its planned place as soon as the kernel returns, and a reader gets a copy of the
 * planned bytes; so an in-place write lands on its input's bytes after the input was read, and an
 * aliased output (Reshape, Flatten, Squeeze, Unsqueeze, Identity sharing its input's place) is a
 * view of those bytes under its own shape, made without running the kernel.
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

  /**
   * Where one planned value lives: storage class, element offset and capacity in elements;
   * {@code aliasOf} is the input whose place an alias op's output views, or null.
   */
  private record Slot(int storage, int offset, int capacity, Value aliasOf) {}

  /** {@code size} elements of a tensor of {@code dims} starting at {@code offset} of {@code data}. */
  record Span(Object data, int offset, int size, long[] dims, DType dtype) {}

  /**
   * The places of one graph's planned values and the array lengths they need, with the layouts
   * of its subgraphs (by graph identity).
   */
  static final class Layout {
    private final Map<Value, Slot> slots = new IdentityHashMap<>();
    private final int[] lengths = new int[CLASSES.size()];
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
      long[] base = new long[CLASSES.size()];
      Arrays.fill(base, Long.MAX_VALUE);
      for (MemoryPlan.Allocation a : plan.allocations()) {
        int storage = storageOf(outputs.get(a.value()));
        if (storage >= 0) {
          base[storage] = Math.min(base[storage], a.offset());
        }
      }
      for (MemoryPlan.Allocation a : plan.allocations()) {
        Value v = outputs.get(a.value());
        int storage = storageOf(v);
        if (storage < 0) {
          continue;
        }
        int width = ELEMENT_BYTES[storage];
        long from = a.offset() - base[storage];
        if (from % width != 0 || a.size() % width != 0) {
          throw new ConvoyException("memory plan: '" + a.value() + "' at byte offset " + a.offset()
              + " is not aligned to its " + width + "-byte elements");
        }
        long end = (from + a.size()) / width;
        if (end > Integer.MAX_VALUE - 8) {
          throw new ConvoyException("memory plan: arena of " + (from + a.size())
              + " bytes is more than one Java array holds");
        }
        layout.lengths[storage] = (int) Math.max(layout.lengths[storage], end);
        layout.slots.put(v, new Slot(storage, (int) (from / width), (int) (a.size() / width),
            aliasHost(v, a, byName)));
      }
      for (var e : plan.subgraphs().entrySet()) {
        String[] ij = e.getKey().split("\\.");
        Graph sub = nodes.get(Integer.parseInt(ij[0])).subgraphs().get(Integer.parseInt(ij[1]));
        layout.subgraphs.put(sub, of(sub, e.getValue()));
      }
      return layout;
    }

    /** The input of {@code v}'s alias op whose place {@code v} shares exactly, or null. */
    private static Value aliasHost(Value v, MemoryPlan.Allocation a,
        Map<String, MemoryPlan.Allocation> byName) {
      Node n = v.producer();
      Value in = n.inputCount() == 0 ? null : n.input(0);
      MemoryPlan.Allocation host = in == null ? null : byName.get(in.name());
      boolean shares = BufferRules.isAlias(n) && in.name().equals(a.sharesWith())
          && host != null && host.offset() == a.offset();
      return shares && storageOf(in) == storageOf(v) ? in : null;
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

  /** A copy of {@code v}'s planned elements under its dimensions. */
  NdArray read(Value v) {
    Slot s = layout.slots.get(v);
    NdArray a = NdArray.allocate(v.tensorType().dtype(), live.get(v));
    System.arraycopy(storage[s.storage], s.offset, a.data(), 0, a.size());
    use.copiedOut(a.size() * (long) ELEMENT_BYTES[s.storage]);
    return a;
  }

  /** Where live planned value {@code v}'s elements lie (no copy). */
  Span span(Value v) {
    Slot s = layout.slots.get(v);
    long[] dims = live.get(v);
    return new Span(storage[s.storage], s.offset, (int) elements(dims), dims,
        v.tensorType().dtype());
  }

  /**
   * The planned place of {@code v} for a kernel to write {@code dims} of its elements into;
   * {@code v} is live from now on.
   */
  Span place(Value v, long[] dims) {
    Slot s = layout.slots.get(v);
    long n = elements(dims);
    if (n > s.capacity) {
      throw new ConvoyException("memory plan: '" + v.name() + "' is " + Arrays.toString(dims)
          + " at run time, which does not fit its planned " + s.capacity + " elements");
    }
    live.put(v, dims.clone());
    use.written(n * ELEMENT_BYTES[s.storage]);
    use.computedInArena();
    return new Span(storage[s.storage], s.offset, (int) n, dims, v.tensorType().dtype());
  }

  private static long elements(long[] dims) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /** Copies {@code r}, the kernel's output for {@code v}, to {@code v}'s planned place. */
  void write(Value v, RuntimeValue r) {
    Slot s = layout.slots.get(v);
    if (!(r instanceof NdArray a) || a.data().getClass() != CLASSES.get(s.storage)
        || a.size() > s.capacity) {
      throw new ConvoyException("memory plan: '" + v.name() + "' is " + r.describe()
          + " at run time, which does not fit its planned " + s.capacity + " elements");
    }
    System.arraycopy(a.data(), 0, storage[s.storage], s.offset, a.size());
    live.put(v, a.dims());
    use.written(a.size() * (long) ELEMENT_BYTES[s.storage]);
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
    if (s == null || s.aliasOf == null || !live.containsKey(s.aliasOf)) {
      return false;
    }
    long[] dims = out.tensorType().shape().sizes();
    if (elements(dims) != elements(live.get(s.aliasOf))) {
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

package dev.convoy.ir.eval;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlanCheck;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.WeightCache;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs a graph on given inputs with the catalog's reference kernels and returns its outputs.
 * Nodes run in graph order on the calling thread (kernels may use the {@link Parallel} pool for
 * disjoint parts of their output), so results are deterministic. Intermediates are released
 * after their last use; a graph with a stored memory plan keeps the intermediates it places in
 * one arena ({@link Arena}). Subgraphs (If/Loop/Scan bodies) run through {@link
 * KernelContext#runSubgraph}, reading captured outer values from the calling frame.
 *
 * <p>Before anything runs, every node (including those in subgraphs) must have a catalog entry,
 * else {@link dev.convoy.ir.UnsupportedOpException} names the op, domain and opset; inputs are
 * checked against the graph's declared input types. Two inputs that share a {@code dim_param} but
 * come with different sizes for it are a warning naming both (ONNX Runtime runs them too), given to
 * the {@link #onWarning} sink.
 */
public final class Evaluator {
  private final OpCatalog catalog;
  private final Parallel parallel;
  private final Map<Tensor, NdArray> weights = new IdentityHashMap<>();
  private final WeightCache weightCache = new WeightCache();
  private volatile OpTimes opTimes;
  private volatile Consumer<String> warnings = w -> {};
  private volatile boolean arenas = true;
  private volatile ArenaUse arenaUse;
  /** The arena arrays of the last planned run, kept for the next run of the same graph. */
  private final AtomicReference<IdleArenas> idle = new AtomicReference<>();

  private record IdleArenas(Graph top, Map<Graph, Object[]> arrays) {}

  public Evaluator(OpCatalog catalog, Parallel parallel) {
    this.catalog = catalog;
    this.parallel = parallel;
  }

  /** The standard catalog with one kernel thread per processor. */
  public static Evaluator standard() {
    return new Evaluator(OpCatalog.standard(), Parallel.available());
  }

  public OpCatalog catalog() {
    return catalog;
  }

  /**
   * From now on adds each kernel's wall time to {@code times} under its op type ({@code null}
   * stops recording); for profiling, off by default.
   */
  public Evaluator recordOpTimes(OpTimes times) {
    this.opTimes = times;
    return this;
  }

  /** Sends warnings about the inputs of later runs to {@code sink} (by default they are dropped). */
  public Evaluator onWarning(Consumer<String> sink) {
    this.warnings = sink;
    return this;
  }

  /**
   * Whether later runs of a graph with a stored memory plan keep its intermediates in the plan's
   * arena (on by default; off runs them as if unplanned, the plan still checked). The arena arrays
   * of the last planned run stay with the evaluator and serve the next run of the same graph.
   */
  public Evaluator useArena(boolean on) {
    this.arenas = on;
    return this;
  }

  /** From now on adds what arena runs do to {@code use} ({@code null} stops recording). */
  public Evaluator recordArenaUse(ArenaUse use) {
    this.arenaUse = use;
    return this;
  }

  /**
   * Bytes of the arena arrays a run of {@code graph} allocates for its stored memory plan (each
   * subgraph's counted once; one storage class array per element size), or 0 without a plan.
   */
  public static long arenaBytes(Graph graph) {
    return layout(graph).map(Arena.Layout::totalBytes).orElse(0L);
  }

  /**
   * The least bytes one array per storage class can hold {@code graph}'s stored plan in, by class
   * ({@code "float[]"}, {@code "byte[]"}...): the most planned bytes of that class alive at one
   * step (subgraphs' added). Their sum is LOAD on a graph of one class and may exceed the plan's
   * arena with several, since the plan reuses one class's bytes for another's. Empty without a
   * plan.
   */
  public static Map<String, Long> arenaClassPeaks(Graph graph) {
    return layout(graph).map(Arena.Layout::totalPeaks).orElse(Map.of());
  }

  /** The arena layout of {@code graph}'s stored plan, checked first; empty without a plan. */
  private static Optional<Arena.Layout> layout(Graph graph) {
    return MemoryPlanCodec.stored(graph).map(plan -> {
      MemoryPlanCheck.check(graph, plan);
      return Arena.Layout.of(graph, plan);
    });
  }

  /** Runs {@code graph} on graph tensors and returns its tensor outputs by name. */
  public Map<String, Tensor> runTensors(Graph graph, Map<String, Tensor> inputs) {
    return tensors(run(graph, arrays(inputs)));
  }

  private static Map<String, RuntimeValue> arrays(Map<String, Tensor> tensors) {
    Map<String, RuntimeValue> in = new LinkedHashMap<>();
    tensors.forEach((k, v) -> in.put(k, NdArray.fromTensor(v)));
    return in;
  }

  private static Map<String, Tensor> tensors(Map<String, RuntimeValue> values) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (!(v instanceof NdArray a)) {
        throw new ConvoyException("output " + k + " is " + v.describe() + ", not a tensor");
      }
      out.put(k, a.toTensor());
    });
    return out;
  }

  /**
   * Runs {@code graph} on {@code inputs} (by graph input name; initializers that are also graph
   * inputs may be overridden) and returns every graph output by name, in output order. A memory
   * plan stored with the graph is checked first ({@link MemoryPlanCheck}); the run then keeps the
   * intermediates the plan places in its arena ({@link Arena}) unless {@link #useArena} is off.
   * Each call prepares the graph anew; a caller running one graph many times makes a {@link
   * #session} once instead.
   */
  public Map<String, RuntimeValue> run(Graph graph, Map<String, ? extends RuntimeValue> inputs) {
    Session session = new Session(graph, true);
    try {
      return session.run(inputs);
    } finally {
      session.idle();
    }
  }

  /**
   * {@code graph} prepared for many runs, as ONNX Runtime's inference session: its ops checked,
   * its memory plan decoded, checked and laid out, each graph's schedule computed and its arena
   * arrays allocated once, for every run of the session (under the evaluator's {@link #useArena}
   * setting of now). The graph must not change while the session is in use.
   */
  public Session session(Graph graph) {
    return new Session(graph, false);
  }

  /**
   * A graph prepared for repeated runs ({@link Evaluator#session}); runs of one session take turns
   * (they share its arena), sessions of one evaluator may run at once. After warm-up, a run of a
   * planned graph allocates on the heap only its outputs, the values its plan leaves out and small
   * per-node bookkeeping.
   */
  public final class Session {
    private final Graph graph;
    private final Arena.Layout layout;
    private final Map<Graph, Plan> plans = new IdentityHashMap<>();
    private final Map<Graph, List<Value>> freeValues = new IdentityHashMap<>();
    /** Each planned graph's arena arrays, kept from one run to the next. */
    private final Map<Graph, Object[]> kept = new IdentityHashMap<>();
    /** Whether the arena arrays go back to the evaluator after a run, for a later session. */
    private final boolean oneShot;

    private Session(Graph graph, boolean oneShot) {
      requireSupported(graph);
      this.graph = graph;
      this.oneShot = oneShot;
      this.layout = MemoryPlanCodec.stored(graph).map(plan -> {
        MemoryPlanCheck.check(graph, plan);
        return arenas ? Arena.Layout.of(graph, plan) : null;
      }).orElse(null);
      IdleArenas idleArrays = layout == null ? null : idle.get();
      if (idleArrays != null && idleArrays.top() == graph
          && idle.compareAndSet(idleArrays, null)) {
        kept.putAll(idleArrays.arrays());
      }
    }

    /** As {@link Evaluator#run} on this session's graph. */
    public synchronized Map<String, RuntimeValue> run(Map<String, ? extends RuntimeValue> inputs) {
      Run run = new Run(this);
      Frame frame = new Frame(null, run.arenaFor(graph));
      Map<String, Value> symbols = new HashMap<>();
      for (String name : inputs.keySet()) {
        Value v = graph.localValue(name);
        if (v == null || !(v.isGraphInput() || v.isInitializer())) {
          throw new InvalidModelException("'" + name + "' is not an input of the graph");
        }
      }
      for (Value in : graph.inputs()) {
        RuntimeValue given = inputs.get(in.name());
        if (given == null) {
          if (graph.initializer(in.name()) != null) {
            continue;
          }
          throw new InvalidModelException("graph input '" + in.name() + "' was not given");
        }
        run.bind(frame, in, given);
        checkInput(in, given, symbols, frame);
      }
      for (Value init : graph.initializers()) {
        RuntimeValue given = inputs.get(init.name());
        if (given != null) {
          run.bind(frame, init, given);
          checkInput(init, given, symbols, frame);
        }
      }
      run.execute(graph, frame);
      Map<String, RuntimeValue> out = new LinkedHashMap<>();
      for (Value o : graph.outputs()) {
        out.put(o.name(), run.detach(run.lookup(frame, o), frame));
      }
      kept.putAll(run.storage);
      return out;
    }

    /** As {@link Evaluator#runTensors} on this session's graph. */
    public Map<String, Tensor> runTensors(Map<String, Tensor> inputs) {
      return tensors(run(arrays(inputs)));
    }

    /** Hands the arena arrays to the evaluator for the next one-shot run of the same graph. */
    private void idle() {
      if (oneShot && layout != null && !kept.isEmpty()) {
        idle.set(new IdleArenas(graph, kept));
      }
    }
  }

  /**
   * Runs one node on the given input values (for constant folding); subgraphs may read only
   * initializers of enclosing graphs.
   */
  public List<RuntimeValue> evaluateNode(Node node, List<RuntimeValue> inputs) {
    OpDef def = catalog.require(node);
    for (Graph g : node.subgraphs()) {
      requireSupported(g);
    }
    return new Run(null).runNode(node, def, inputs, new Frame(null, null));
  }

  /** Throws {@link dev.convoy.ir.UnsupportedOpException} for the first op Convoy lacks. */
  public void requireSupported(Graph graph) {
    graph.forEachNode(catalog::require);
  }

  /**
   * Checks one input against its declared type; {@code symbols} maps each dim name to the input
   * that bound it first, whose given value is already in {@code frame}.
   */
  private void checkInput(Value in, RuntimeValue given, Map<String, Value> symbols, Frame frame) {
    ValueType t = in.type();
    if (t == null) {
      return;
    }
    String what = "input '" + in.name() + "'";
    if (t instanceof ValueType.TensorType tt) {
      if (!(given instanceof NdArray a)) {
        throw new InvalidModelException(what + " must be a tensor " + tt + ", got "
            + given.describe());
      }
      if (a.dtype() != tt.dtype()) {
        throw new InvalidModelException(what + " must have element type " + tt.dtype().textName()
            + ", got " + a.dtype().textName());
      }
      Shape s = tt.shape();
      if (!s.hasRank()) {
        return;
      }
      if (s.rank() != a.rank()) {
        throw new InvalidModelException(what + " must have rank " + s.rank() + " (shape " + s
            + "), got shape " + Shape.toString(a.dims()));
      }
      for (int i = 0; i < s.rank(); i++) {
        Dim d = s.dim(i);
        long got = a.dim(i);
        if (d instanceof Dim.Static st && st.size() != got) {
          throw new InvalidModelException(what + " must have shape " + s + ", got "
              + Shape.toString(a.dims()));
        }
        if (d instanceof Dim.Symbolic sym) {
          Value first = symbols.putIfAbsent(sym.name(), in);
          long prior = first == null ? got : boundSize(first, sym, frame);
          if (prior != got) {
            warnings.accept("warning: " + what + " has " + got + " for dimension '" + sym.name()
                + "' but input '" + first.name() + "' has " + prior);
          }
        }
      }
    } else if (t instanceof ValueType.SequenceType && !(given instanceof RuntimeValue.SequenceValue)) {
      throw new InvalidModelException(what + " must be a sequence, got " + given.describe());
    } else if (t instanceof ValueType.OptionalType
        && !(given instanceof RuntimeValue.OptionalValue)) {
      throw new InvalidModelException(what + " must be an optional, got " + given.describe());
    }
  }

  /** The size {@code first}'s given value has where its declared shape says {@code sym}. */
  private static long boundSize(Value first, Dim.Symbolic sym, Frame frame) {
    NdArray a = (NdArray) frame.values.get(first);
    List<Dim> dims = first.tensorType().shape().dims();
    return a.dim(dims.indexOf(sym));
  }

  private NdArray weight(Tensor t) {
    synchronized (weights) {
      return weights.computeIfAbsent(t, NdArray::fromTensor);
    }
  }

  /**
   * Values bound in one graph activation, on the heap or in the activation's arena (null when
   * the graph has no plan); enclosing activations are searched for captures.
   */
  private static final class Frame {
    final Frame parent;
    final Map<Value, RuntimeValue> values = new IdentityHashMap<>();
    final Arena arena;

    Frame(Frame parent, Arena arena) {
      this.parent = parent;
      this.arena = arena;
    }
  }

  /** Per-graph schedule: for each node, the values whose last read it is. */
  private record Plan(List<Node> nodes, List<OpDef> defs, List<List<Value>> releaseAfter) {}

  /**
   * One top-level run of a session (or of one node, without a session): each graph's plan is
   * computed once per session and reused by every loop iteration, as is each planned graph's
   * arena (a graph's intermediates never outlive its activation).
   */
  private final class Run {
    private final Map<Graph, Plan> plans;
    private final Map<Graph, List<Value>> freeValues;
    private final Map<Graph, Arena.Layout> layouts = new IdentityHashMap<>();
    private final Map<Graph, Object[]> storage = new IdentityHashMap<>();
    private final Map<Graph, Object[]> reusable;
    private final ArenaUse use;
    /** Bytes of the arena arrays this run uses (each graph's once). */
    private long arenaBytes;
    private final LiveHeap heap = new LiveHeap(this::inArena);

    Run(Session session) {
      this.plans = session == null ? new IdentityHashMap<>() : session.plans;
      this.freeValues = session == null ? new IdentityHashMap<>() : session.freeValues;
      this.reusable = session == null ? Map.of() : session.kept;
      ArenaUse recording = arenaUse;
      this.use = recording == null ? new ArenaUse() : recording;
      if (session != null && session.layout != null) {
        layouts.put(session.graph, session.layout);
        collect(session.layout);
      }
    }

    private void collect(Arena.Layout layout) {
      layout.subgraphs.forEach((g, sub) -> {
        layouts.put(g, sub);
        collect(sub);
      });
    }

    /** The arena of a new activation of {@code graph}, or null when it has no plan. */
    Arena arenaFor(Graph graph) {
      Arena.Layout layout = layouts.get(graph);
      if (layout == null) {
        return null;
      }
      Object[] arrays = storage.computeIfAbsent(graph, g -> {
        arenaBytes += layout.bytes();
        Object[] kept = reusable.get(g);
        if (kept != null && layout.fits(kept)) {
          return kept;
        }
        use.allocated(layout.bytes());
        return layout.allocate();
      });
      return new Arena(layout, arrays, use);
    }

    /** Whether {@code array} is an arena array of this run. */
    private boolean inArena(Object array) {
      for (Object[] arrays : storage.values()) {
        for (Object a : arrays) {
          if (a == array) {
            return true;
          }
        }
      }
      return false;
    }

    void execute(Graph graph, Frame frame) {
      Plan plan = plans.computeIfAbsent(graph, this::plan);
      Arena arena = frame.arena;
      for (int i = 0; i < plan.nodes.size(); i++) {
        Node node = plan.nodes.get(i);
        if (arena == null || !arena.view(node)) {
          List<RuntimeValue> ins = new ArrayList<>(node.inputCount());
          for (Value v : node.inputs()) {
            ins.add(v == null ? null : lookup(frame, v));
          }
          List<RuntimeValue> outs = runNode(node, plan.defs.get(i), ins, frame);
          for (int k = 0; k < node.outputCount(); k++) {
            Value o = node.output(k);
            if (o == null) {
              continue;
            }
            if (arena != null && arena.holds(o)) {
              arena.write(o, outs.get(k));
            } else {
              bind(frame, o, detach(outs.get(k), frame));
            }
          }
        }
        use.live(arenaBytes + heap.bytes());
        release(plan.releaseAfter.get(i), frame);
      }
    }

    /** Binds {@code v} to heap value {@code r} in {@code frame}, counting its bytes live. */
    void bind(Frame frame, Value v, RuntimeValue r) {
      RuntimeValue old = frame.values.put(v, r);
      heap.add(r);
      if (old != null) {
        heap.remove(old);
      }
    }

    /**
     * {@code r} with every tensor that lies in an arena of {@code frame}'s chain copied out: a
     * heap value outlives the arena bytes it was read from.
     */
    RuntimeValue detach(RuntimeValue r, Frame frame) {
      if (r instanceof NdArray a) {
        for (Frame f = frame; f != null; f = f.parent) {
          if (f.arena != null && f.arena.owns(a.array())) {
            NdArray copy = NdArray.allocate(a.dtype(), a.dims());
            System.arraycopy(a.array(), a.offset(), copy.array(), 0, a.size());
            return copy;
          }
        }
        return a;
      }
      if (r instanceof RuntimeValue.SequenceValue s) {
        List<RuntimeValue> items = new ArrayList<>(s.size());
        s.items().forEach(item -> items.add(detach(item, frame)));
        return new RuntimeValue.SequenceValue(s.elementType(), items);
      }
      if (r instanceof RuntimeValue.OptionalValue o && o.isPresent()) {
        return new RuntimeValue.OptionalValue(o.elementType(), detach(o.value(), frame));
      }
      return r;
    }

    private void release(List<Value> dead, Frame frame) {
      for (Value v : dead) {
        RuntimeValue r = frame.values.remove(v);
        if (r != null) {
          heap.remove(r);
        }
        if (frame.arena != null) {
          frame.arena.release(v);
        }
      }
    }

    List<RuntimeValue> runNode(Node node, OpDef def, List<RuntimeValue> ins, Frame frame) {
      Arena arena = frame.arena;
      KernelContext.Outputs outputs = arena == null ? KernelContext.Outputs.FRESH
          : (k, dtype, dims) -> {
            Value o = k < node.outputCount() ? node.output(k) : null;
            return o != null && arena.canPlace(o, dtype) ? arena.place(o, dtype, dims)
                : NdArray.allocate(dtype, dims);
          };
      KernelContext ctx = new KernelContext(node, def, OpCatalog.opsetOf(node), ins, parallel,
          weightCache, (body, bodyInputs) -> runSubgraph(body, bodyInputs, frame), outputs);
      List<RuntimeValue> outs;
      OpTimes times = opTimes;
      long start = times == null ? 0 : System.nanoTime();
      long allocated = times == null ? 0 : OpTimes.threadAllocatedBytes();
      try {
        Tensor constant = plainConstant(node);
        // A Constant holding a tensor is read like an initializer: converted once, then shared.
        outs = constant != null ? List.of(weight(constant)) : def.kernel().compute(ctx);
        if (times != null) {
          times.add(node.opType(), System.nanoTime() - start,
              OpTimes.threadAllocatedBytes() - allocated);
        }
      } catch (ConvoyException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new ConvoyException(ctx.where() + " failed on inputs " + describe(ins) + ": " + e,
            e);
      }
      if (outs == null || outs.size() < countPresent(node)) {
        throw new IllegalStateException(def.id() + " kernel returned " + (outs == null ? "null"
            : outs.size() + " outputs") + " for " + ctx.where());
      }
      for (int k = 0; k < node.outputCount(); k++) {
        Value o = node.output(k);
        if (o == null) {
          continue;
        }
        RuntimeValue r = k < outs.size() ? outs.get(k) : null;
        if (r == null) {
          throw new IllegalStateException(def.id() + " kernel gave no value for output " + k
              + " of " + ctx.where());
        }
        if (o.type() instanceof ValueType.TensorType tt && r instanceof NdArray a
            && a.dtype() != tt.dtype()) {
          throw new InvalidModelException(ctx.where() + ": output '" + o.name()
              + "' is declared " + tt + " but the op produces " + a.describe());
        }
      }
      return outs;
    }

    /** The tensor of a Constant node whose only attribute is a supported 'value' tensor. */
    private Tensor plainConstant(Node node) {
      if (!node.is("Constant") || node.attributes().size() != 1
          || !(node.attributes().get("value") instanceof Attribute.TensorAttr t)
          || !t.value().dtype().isSupported()) {
        return null;
      }
      return t.value();
    }

    private int countPresent(Node node) {
      int n = 0;
      for (int k = 0; k < node.outputCount(); k++) {
        if (node.output(k) != null) {
          n = k + 1;
        }
      }
      return n;
    }

    List<RuntimeValue> runSubgraph(Graph body, List<RuntimeValue> bodyInputs, Frame outer) {
      if (bodyInputs.size() != body.inputs().size()) {
        throw new ConvoyException("subgraph '" + body.name() + "' takes " + body.inputs().size()
            + " inputs, given " + bodyInputs.size());
      }
      Frame frame = new Frame(outer, arenaFor(body));
      for (int i = 0; i < bodyInputs.size(); i++) {
        bind(frame, body.inputs().get(i), bodyInputs.get(i));
      }
      execute(body, frame);
      List<RuntimeValue> out = new ArrayList<>(body.outputs().size());
      for (Value o : body.outputs()) {
        out.add(detach(lookup(frame, o), frame));
      }
      frame.values.values().forEach(heap::remove);
      return out;
    }

    RuntimeValue lookup(Frame frame, Value v) {
      for (Frame f = frame; f != null; f = f.parent) {
        RuntimeValue r = f.values.get(v);
        if (r != null) {
          return r;
        }
        if (f.arena != null && f.arena.isLive(v)) {
          return f.arena.view(v);
        }
      }
      if (v.isInitializer()) {
        return weight(v.constant());
      }
      throw new InvalidModelException("value '" + v.name() + "' is read before it is defined"
          + " (or after it was released)");
    }

    private Plan plan(Graph graph) {
      List<Node> nodes = graph.nodes();
      List<OpDef> defs = new ArrayList<>(nodes.size());
      Map<Value, Integer> lastUse = new IdentityHashMap<>();
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        defs.add(catalog.require(n));
        for (Value v : n.inputs()) {
          if (v != null) {
            lastUse.put(v, i);
          }
        }
        for (Graph sub : n.subgraphs()) {
          for (Value v : free(sub)) {
            lastUse.put(v, i);
          }
        }
        for (Value o : n.outputs()) {
          if (o != null) {
            lastUse.putIfAbsent(o, i);
          }
        }
      }
      List<List<Value>> release = new ArrayList<>(nodes.size());
      for (int i = 0; i < nodes.size(); i++) {
        release.add(new ArrayList<>());
      }
      List<Value> keep = graph.outputs();
      lastUse.forEach((v, i) -> {
        boolean local = v.owner() == graph;
        if (local && !keep.contains(v)) {
          release.get(i).add(v);
        }
      });
      return new Plan(List.copyOf(nodes), defs, release);
    }

    /** Values a subgraph (or its nested subgraphs) reads that it does not define. */
    private List<Value> free(Graph sub) {
      List<Value> cached = freeValues.get(sub);
      if (cached != null) {
        return cached;
      }
      Map<Value, Boolean> out = new IdentityHashMap<>();
      for (Node n : sub.nodes()) {
        for (Value v : n.inputs()) {
          if (v != null && v.owner() != sub) {
            out.put(v, true);
          }
        }
        for (Graph nested : n.subgraphs()) {
          for (Value v : free(nested)) {
            if (v.owner() != sub) {
              out.put(v, true);
            }
          }
        }
      }
      for (Value v : sub.outputs()) {
        if (v.owner() != sub) {
          out.put(v, true);
        }
      }
      List<Value> list = List.copyOf(out.keySet());
      freeValues.put(sub, list);
      return list;
    }
  }

  /**
   * Bytes of the distinct heap arrays bound to values of one run, each counted once however many
   * values share it (arena arrays are counted by the arena).
   */
  private static final class LiveHeap {
    private final Map<Object, Integer> refs = new IdentityHashMap<>();
    private final java.util.function.Predicate<Object> arena;
    private long bytes;

    LiveHeap(java.util.function.Predicate<Object> arena) {
      this.arena = arena;
    }

    long bytes() {
      return bytes;
    }

    void add(RuntimeValue r) {
      forEachArray(r, a -> {
        if (!arena.test(a) && refs.merge(a, 1, Integer::sum) == 1) {
          bytes += sizeOf(a);
        }
      });
    }

    void remove(RuntimeValue r) {
      forEachArray(r, a -> {
        Integer n = refs.get(a);
        if (n == null) {
          return;
        }
        if (n == 1) {
          refs.remove(a);
          bytes -= sizeOf(a);
        } else {
          refs.put(a, n - 1);
        }
      });
    }

    private static void forEachArray(RuntimeValue r, Consumer<Object> f) {
      if (r instanceof NdArray a) {
        f.accept(a.array());
      } else if (r instanceof RuntimeValue.SequenceValue s) {
        s.items().forEach(item -> forEachArray(item, f));
      } else if (r instanceof RuntimeValue.OptionalValue o && o.isPresent()) {
        forEachArray(o.value(), f);
      }
    }

    private static long sizeOf(Object array) {
      long n = java.lang.reflect.Array.getLength(array);
      return switch (array.getClass().getComponentType().getName()) {
        case "double", "long" -> 8 * n;
        case "float", "int" -> 4 * n;
        case "short" -> 2 * n;
        case "byte" -> n;
        default -> 8 * n;
      };
    }
  }

  private static String describe(List<RuntimeValue> ins) {
    String[] parts = new String[ins.size()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = ins.get(i) == null ? "-" : ins.get(i).describe();
    }
    return Arrays.toString(parts);
  }
}

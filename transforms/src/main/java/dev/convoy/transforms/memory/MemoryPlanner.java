package dev.convoy.transforms.memory;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.BufferRules;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.OffsetPlanner;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * <p>{@link OffsetPlanner} places the buffers (the smallest of best fit in execution order,
 * greedy by size and a hill climb bounded by {@link Options#attempts()}); LOAD, the most bytes
 * alive at one step, is the lower bound. All values share one byte address space whatever their
 * element type, as an engine with one arena allocation runs them: a float tensor's bytes may be
 * reused by an int8 one once the float one is dead. (The evaluator, which keeps each storage
 * class in its own Java array, lays out each class's share of the plan on its own: see {@code
 * ir.eval.Arena}.)
 *
 * <p>Sizes need static shapes (run shape inference first); intermediates without one are left
 * out and listed in {@link MemoryPlan#skipped()}. Sizes are rounded up to the alignment.
 */
public final class MemoryPlanner {
  /** Offsets and sizes are multiples of this, as CPU kernels expect of their buffers. */
  public static final int DEFAULT_ALIGNMENT = 64;

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
    List<OffsetPlanner.Block> blocks = lt.blocks();
    OffsetPlanner.Placement p = OffsetPlanner.place(blocks, o.attempts());
    List<MemoryPlan.Allocation> allocations = new ArrayList<>();
    long naive = 0;
    for (Member m : lt.members) {
      naive += m.buffer.size;
      allocations.add(new MemoryPlan.Allocation(m.value.name(), p.offsets()[m.buffer.index],
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
    return new MemoryPlan(p.arena(), OffsetPlanner.load(blocks), naive, p.planner(), lt.inPlace, lt.aliased, allocations,
        lt.skipped, subs);
  }

  /** The arena of the in-order best-fit plan alone (the bound the chosen plan never exceeds). */
  static long inOrderArena(Graph g, Options o) {
    return OffsetPlanner.inOrderArena(Lifetimes.of(g, o).blocks());
  }

  /** The values sharing one place, from the first one's write to the last read of any. */
  private static final class Buffer {
    final int index;
    final long size;
    final int first;
    int last;

    Buffer(int index, long size, int first, int last) {
      this.index = index;
      this.size = size;
      this.first = first;
      this.last = last;
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

    /** The buffers as blocks for the offset planner, by buffer index. */
    List<OffsetPlanner.Block> blocks() {
      List<OffsetPlanner.Block> blocks = new ArrayList<>();
      for (Buffer b : buffers) {
        blocks.add(new OffsetPlanner.Block(b.size, b.first, b.last));
      }
      return blocks;
    }

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
            Buffer b = new Buffer(lt.buffers.size(), align(bytes, o.alignment()), i, last);
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

  private static long align(long bytes, int alignment) {
    long a = Math.max(1, alignment);
    return Math.max(a, (bytes + a - 1) / a * a);
  }
}

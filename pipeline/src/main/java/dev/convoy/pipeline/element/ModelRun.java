package dev.convoy.pipeline.element;

import dev.convoy.pipeline.zoo.ModelRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model on its way through the stages: its reference, where its graphs are in the blob store
 * ({@code sourceBlob} the converted original, {@code graphBlob} the current one) and the facts
 * gathered so far. Each stage returns a new value with more filled in; nothing here holds weights.
 * {@code after}, {@code verification}, {@code memory}, {@code artifact} and {@code latency} are
 * {@code null} until their stage ran.
 */
public record ModelRun(
    ModelRef ref,
    String sourceBlob,
    String graphBlob,
    GraphStats before,
    GraphStats after,
    int pieces,
    Map<String, Long> stageNanos,
    List<PassRow> passes,
    Verification verification,
    MemoryPlanSummary memory,
    Artifact artifact,
    List<String> notes,
    Latency latency) {

  public ModelRun {
    Objects.requireNonNull(ref, "ref");
    stageNanos = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(stageNanos));
    passes = List.copyOf(passes);
    notes = List.copyOf(notes);
  }

  /** A freshly converted model: source and current graph are the same blob. */
  public static ModelRun converted(ModelRef ref, String blob, GraphStats stats, long nanos) {
    return new ModelRun(ref, blob, blob, stats, null, 1,
        Map.of(Stage.CONVERT.label(), nanos), List.of(), null, null, null, List.of(), null);
  }

  public String name() {
    return ref.name();
  }

  public ModelRun withTime(Stage stage, long nanos) {
    var t = new LinkedHashMap<>(stageNanos);
    t.merge(stage.label(), nanos, Long::sum);
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, t, passes, verification,
        memory, artifact, notes, latency);
  }

  public ModelRun withGraph(String blob, GraphStats stats, int pieceCount, List<PassRow> morePasses) {
    var p = new ArrayList<>(passes);
    p.addAll(morePasses);
    return new ModelRun(ref, sourceBlob, blob, before, stats, pieceCount, stageNanos, p,
        verification, memory, artifact, notes, latency);
  }

  public ModelRun withVerification(Verification v) {
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, stageNanos, passes, v,
        memory, artifact, notes, latency);
  }

  public ModelRun withMemory(MemoryPlanSummary m) {
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, stageNanos, passes,
        verification, m, artifact, notes, latency);
  }

  public ModelRun withArtifact(Artifact a) {
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, stageNanos, passes,
        verification, memory, a, notes, latency);
  }

  public ModelRun withNotes(List<String> more) {
    var n = new ArrayList<>(notes);
    n.addAll(more);
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, stageNanos, passes,
        verification, memory, artifact, n, latency);
  }

  public ModelRun withLatency(Latency l) {
    return new ModelRun(ref, sourceBlob, graphBlob, before, after, pieces, stageNanos, passes,
        verification, memory, artifact, notes, l);
  }
}

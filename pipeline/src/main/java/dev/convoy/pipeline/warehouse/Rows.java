package dev.convoy.pipeline.warehouse;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.GraphStats;
import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.element.Latency;
import dev.convoy.pipeline.element.MemoryPlanSummary;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.PassRow;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.element.Verification;
import dev.convoy.pipeline.warehouse.avro.FailureRow;
import dev.convoy.pipeline.warehouse.avro.LatencyRow;
import dev.convoy.pipeline.warehouse.avro.MemoryPlanRow;
import dev.convoy.pipeline.warehouse.avro.ModelRow;
import dev.convoy.pipeline.warehouse.avro.PassStatRow;
import dev.convoy.pipeline.warehouse.avro.RuleStatRow;
import dev.convoy.pipeline.warehouse.avro.VerificationRow;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** How pipeline elements become warehouse rows (plain functions, used by the DoFns and tests). */
public final class Rows {
  private Rows() {}

  public static ModelRow model(ModelRun r, String level, String target) {
    GraphStats after = r.after() != null ? r.after() : r.before();
    long total = r.stageNanos().values().stream().mapToLong(Long::longValue).sum();
    return ModelRow.newBuilder()
        .setModel(r.name())
        .setPath(r.ref().path())
        .setFormat(r.ref().format())
        .setTags(String.join(",", r.ref().tags()))
        .setLevel(level)
        .setTarget(target)
        .setSourceBytes(r.ref().sizeBytes())
        .setArtifact(r.artifact() == null ? "" : r.artifact().file())
        .setArtifactBytes(r.artifact() == null ? -1 : r.artifact().sizeBytes())
        .setNodesBefore(r.before().nodes())
        .setNodesAfter(after.nodes())
        .setOpTypesBefore(r.before().opTypes())
        .setOpTypesAfter(after.opTypes())
        .setOpsBefore(json(r.before().ops()))
        .setOpsAfter(json(after.ops()))
        .setInitializerBytesBefore(r.before().initializerBytes())
        .setInitializerBytesAfter(after.initializerBytes())
        .setPieces(r.pieces())
        .setVerified(r.verification() != null && r.verification().passed())
        .setConvertNanos(nanos(r, Stage.CONVERT))
        .setPartitionNanos(nanos(r, Stage.PARTITION))
        .setOptimizeNanos(nanos(r, Stage.OPTIMIZE))
        .setStitchNanos(nanos(r, Stage.STITCH))
        .setPlanMemoryNanos(nanos(r, Stage.PLAN_MEMORY))
        .setVerifyNanos(nanos(r, Stage.VERIFY))
        .setWriteNanos(nanos(r, Stage.WRITE))
        .setTotalNanos(total)
        .setNotes(String.join("\n", r.notes()))
        .build();
  }

  public static List<PassStatRow> passes(ModelRun r) {
    List<PassStatRow> out = new ArrayList<>();
    int seq = 0;
    for (PassRow p : r.passes()) {
      out.add(PassStatRow.newBuilder()
          .setModel(r.name())
          .setSeq(seq++)
          .setPass(p.pass())
          .setPiece(p.piece())
          .setNodesBefore(p.nodesBefore())
          .setNodesAfter(p.nodesAfter())
          .setRewrites(p.totalRewrites())
          .setRewritesByRule(json(p.rewrites()))
          .setPassNanos(p.nanos())
          .build());
    }
    return out;
  }

  public static VerificationRow verification(ModelRun r, String level) {
    Verification v = r.verification();
    return VerificationRow.newBuilder()
        .setModel(r.name())
        .setLevel(level)
        .setOracle(v.oracle())
        .setMaxAbsError(v.maxAbsError())
        .setMaxRelError(v.maxRelError())
        .setCosine(v.cosine())
        .setPassed(v.passed())
        .setDetail(v.detail() == null ? "" : v.detail())
        .setVerdict(v.verdict())
        .setFirstNode(v.firstNode())
        .setCulprit(v.culprit())
        .build();
  }

  /** The {@code latencies} row of a timed model (call only when {@code r.latency()} is set). */
  public static LatencyRow latency(ModelRun r, String level, String target) {
    Latency l = r.latency();
    GraphStats after = r.after() != null ? r.after() : r.before();
    return LatencyRow.newBuilder()
        .setModel(r.name())
        .setLevel(level)
        .setTarget(target)
        .setRuntime(l.runtime())
        .setWarmup(l.warmup())
        .setRuns(l.runs())
        .setOriginalMs(l.originalMs())
        .setResultMs(l.resultMs())
        .setSpeedup(l.speedup())
        .setLoadBytes(after.initializerBytes())
        .setArenaBytes(r.memory() == null ? -1 : r.memory().arenaBytes())
        .setArtifactBytes(r.artifact() == null ? -1 : r.artifact().sizeBytes())
        .build();
  }

  /** One {@code rule_stats} row per rule or pass that changed the model, summed over passes. */
  public static List<RuleStatRow> ruleStats(ModelRun r, String level) {
    Map<String, Long> total = new TreeMap<>();
    for (PassRow p : r.passes()) {
      p.rewrites().forEach((rule, n) -> total.merge(rule, (long) n, Long::sum));
    }
    List<RuleStatRow> out = new ArrayList<>();
    total.forEach((rule, n) -> out.add(RuleStatRow.newBuilder()
        .setModel(r.name()).setLevel(level).setRule(rule).setRewrites(n).build()));
    return out;
  }

  public static MemoryPlanRow memoryPlan(ModelRun r) {
    MemoryPlanSummary m = r.memory();
    return MemoryPlanRow.newBuilder()
        .setModel(r.name())
        .setArenaBytes(m.arenaBytes())
        .setLowerBoundBytes(m.lowerBoundBytes())
        .setNaiveBytes(m.naiveBytes())
        .setPlannedTensors(m.plannedTensors())
        .setSkippedTensors(m.skippedTensors())
        .setPlanner(m.planner())
        .setInPlaceTensors(m.inPlace())
        .setAliasedTensors(m.aliased())
        .build();
  }

  public static FailureRow failure(Failure f) {
    return FailureRow.newBuilder()
        .setModel(f.model())
        .setPath(f.path() == null ? "" : f.path())
        .setStage(f.stage())
        .setErrorClass(f.errorClass())
        .setMessage(f.message())
        .build();
  }

  private static long nanos(ModelRun r, Stage s) {
    return r.stageNanos().getOrDefault(s.label(), 0L);
  }

  private static String json(Object o) {
    try {
      return JsonCoder.mapper().writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.convoy.runners.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.pipeline.run.ProgressSource;
import dev.convoy.pipeline.stage.Stages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.beam.sdk.util.VarInt;

/**
 * The counters of a Beam job running on a Flink cluster, read from the JobManager's REST API while
 * it runs: Beam's Flink runner keeps each task's metrics in one accumulator ({@code
 * __metricscontainers}), which the TaskManagers report with their heartbeats and {@code
 * /jobs/<id>/accumulators} shows merged over the tasks, as Beam's JSON form of its monitoring
 * infos. The job is the one named {@code jobName} that was not on the cluster when this source was
 * made (a re-run with the same run id has the same job name).
 */
public final class FlinkJobProgress implements ProgressSource {
  private static final String ACCUMULATOR = "__metricscontainers";
  private static final String USER_COUNTER = "beam:metric:user:sum_int64:v1";

  private final String master;
  private final String jobName;
  private final Set<String> earlier;
  private final ObjectMapper json = new ObjectMapper();
  private String jobId;

  /** Progress of the next job named {@code jobName} on the cluster at {@code master}. */
  public FlinkJobProgress(String master, String jobName) {
    this.master = master;
    this.jobName = jobName;
    this.earlier = new HashSet<>();
    jobs().ifPresent(jobs -> jobs.forEach(j -> earlier.add(j.path("jid").asText())));
  }

  @Override
  public synchronized Optional<Map<String, Long>> counters() {
    if (jobId == null) {
      jobId = jobs().flatMap(jobs -> {
        for (JsonNode j : jobs) {
          if (j.path("name").asText().equals(jobName) && !earlier.contains(j.path("jid").asText())) {
            return Optional.of(j.path("jid").asText());
          }
        }
        return Optional.empty();
      }).orElse(null);
      if (jobId == null) {
        return Optional.empty();
      }
    }
    return LocalCluster.get(master, "/jobs/" + jobId + "/accumulators").flatMap(this::parse);
  }

  /** The {@link Stages#NAMESPACE} counters in an {@code /accumulators} reply. */
  Optional<Map<String, Long>> parse(String reply) {
    try {
      for (JsonNode acc : json.readTree(reply).path("user-task-accumulators")) {
        if (acc.path("name").asText().equals(ACCUMULATOR)) {
          return Optional.of(counters(json.readTree(acc.path("value").asText())));
        }
      }
      return Optional.empty();
    } catch (IOException e) {
      // A reply this source does not understand shows no progress; the run itself goes on.
      return Optional.empty();
    }
  }

  private static Map<String, Long> counters(JsonNode metrics) throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (JsonNode info : metrics.path("metrics").path("attempted")) {
      JsonNode labels = info.path("labels");
      if (info.path("urn").asText().equals(USER_COUNTER)
          && labels.path("NAMESPACE").asText().equals(Stages.NAMESPACE)) {
        long v = VarInt.decodeLong(new ByteArrayInputStream(
            Base64.getDecoder().decode(info.path("payload").asText())));
        out.merge(labels.path("NAME").asText(), v, Long::sum);
      }
    }
    return out;
  }

  private Optional<JsonNode> jobs() {
    return LocalCluster.get(master, "/jobs/overview").flatMap(body -> {
      try {
        return Optional.of(json.readTree(body).path("jobs"));
      } catch (IOException e) {
        return Optional.empty();
      }
    });
  }
}

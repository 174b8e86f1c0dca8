package dev.convoy.pipeline.warehouse;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.storage.Storage;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Writes a run's rows into the warehouse: {@code models}, {@code pass_stats}, {@code
 * verifications}, {@code memory_plans}, {@code latencies} and {@code rule_stats} from the finished
 * models and {@code failures} from every stage. Each table gets one Parquet file per run under its {@code run_id=<id>} partition with a
 * fixed name, so writing the same run id again overwrites rather than adds. (The {@code runs} row
 * is written by {@link RunTable} once the pipeline has finished and its end time is known.)
 *
 * <p>Input: a tuple of {@link #MODELS} and {@link #FAILURES}.
 */
public final class WriteWarehouse extends PTransform<PCollectionTuple, PDone> {
  public static final TupleTag<ModelRun> MODELS = new TupleTag<>("models") {};
  public static final TupleTag<Failure> FAILURES = new TupleTag<>("failures") {};

  private final String warehouse;
  private final String temp;
  private final String runId;
  private final String level;
  private final String target;

  private WriteWarehouse(String warehouse, String temp, String runId, String level,
      String target) {
    super("WriteWarehouse");
    this.warehouse = warehouse;
    this.temp = temp;
    this.runId = runId;
    this.level = level;
    this.target = target;
  }

  /**
   * Rows of run {@code runId} (at {@code level}, written as {@code target}) under warehouse
   * location {@code warehouse} (a local path or a URI of any Beam filesystem). The sinks' unfinished files go under {@code temp}, which must lie outside the
   * warehouse: Beam leaves its emptied {@code .temp-beam-*} folders behind, and inside a partition
   * they would be part of the table.
   */
  public static WriteWarehouse to(String warehouse, String temp, String runId, String level,
      String target) {
    return new WriteWarehouse(warehouse, temp, runId, level, target);
  }

  @Override
  public PDone expand(PCollectionTuple input) {
    PCollection<ModelRun> models = input.get(MODELS);
    PCollection<Failure> failures = input.get(FAILURES);
    write(models.apply("ModelRows", ParDo.of(new ModelRowsFn(level, target))), Tables.MODELS);
    write(models.apply("PassRows", ParDo.of(new PassRowsFn())), Tables.PASS_STATS);
    write(models.apply("VerificationRows", ParDo.of(new VerificationRowsFn(level))),
        Tables.VERIFICATIONS);
    write(models.apply("MemoryPlanRows", ParDo.of(new MemoryRowsFn())), Tables.MEMORY_PLANS);
    write(failures.apply("FailureRows", ParDo.of(new FailureRowsFn())), Tables.FAILURES);
    write(models.apply("LatencyRows", ParDo.of(new LatencyRowsFn(level, target))),
        Tables.LATENCIES);
    write(models.apply("RuleStatRows", ParDo.of(new RuleStatRowsFn(level))), Tables.RULE_STATS);
    return PDone.in(input.getPipeline());
  }

  private void write(PCollection<GenericRecord> rows, Tables table) {
    rows.setCoder(AvroCoder.of(GenericRecord.class, table.schema()))
        .apply("Write " + table.table(),
            FileIO.<GenericRecord>write()
                .via(ParquetIO.sink(table.schema()))
                .to(table.partition(warehouse, runId))
                .withNaming(FileIO.Write.defaultNaming(Tables.FILE_PREFIX, ".parquet"))
                .withTempDirectory(Storage.dir(temp, table.table()))
                .withNumShards(1));
  }

  static final class ModelRowsFn extends DoFn<ModelRun, GenericRecord> {
    private final String level;
    private final String target;

    ModelRowsFn(String level, String target) {
      this.level = level;
      this.target = target;
    }

    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      out.output(Rows.model(r, level, target));
    }
  }

  static final class PassRowsFn extends DoFn<ModelRun, GenericRecord> {
    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      Rows.passes(r).forEach(out::output);
    }
  }

  static final class VerificationRowsFn extends DoFn<ModelRun, GenericRecord> {
    private final String level;

    VerificationRowsFn(String level) {
      this.level = level;
    }

    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      if (r.verification() != null) {
        out.output(Rows.verification(r, level));
      }
    }
  }

  static final class MemoryRowsFn extends DoFn<ModelRun, GenericRecord> {
    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      if (r.memory() != null) {
        out.output(Rows.memoryPlan(r));
      }
    }
  }

  static final class LatencyRowsFn extends DoFn<ModelRun, GenericRecord> {
    private final String level;
    private final String target;

    LatencyRowsFn(String level, String target) {
      this.level = level;
      this.target = target;
    }

    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      if (r.latency() != null) {
        out.output(Rows.latency(r, level, target));
      }
    }
  }

  static final class RuleStatRowsFn extends DoFn<ModelRun, GenericRecord> {
    private final String level;

    RuleStatRowsFn(String level) {
      this.level = level;
    }

    @ProcessElement
    public void process(@Element ModelRun r, OutputReceiver<GenericRecord> out) {
      Rows.ruleStats(r, level).forEach(out::output);
    }
  }

  static final class FailureRowsFn extends DoFn<Failure, GenericRecord> {
    @ProcessElement
    public void process(@Element Failure f, OutputReceiver<GenericRecord> out) {
      out.output(Rows.failure(f));
    }
  }
}

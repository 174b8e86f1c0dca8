package dev.convoy.pipeline.element;

/** The stages of a model's path, as named in the warehouse ({@code failures.stage}, timings). */
public enum Stage {
  CONVERT("convert"),
  PARTITION("partition"),
  OPTIMIZE("optimize"),
  STITCH("stitch"),
  PLAN_MEMORY("plan_memory"),
  VERIFY("verify"),
  WRITE("write"),
  MEASURE("measure");

  private final String label;

  Stage(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}

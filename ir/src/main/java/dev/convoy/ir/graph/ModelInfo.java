package dev.convoy.ir.graph;

/**
 * Model-level facts carried from the source file to the output: the ONNX IR version, producer,
 * model domain and version, and the model's doc string. Only a top-level graph has one.
 */
public record ModelInfo(
    long irVersion,
    String producerName,
    String producerVersion,
    String domain,
    long modelVersion,
    String docString) {

  public static final ModelInfo DEFAULT = new ModelInfo(8, "convoy", "", "", 0, "");

  public ModelInfo {
    producerName = producerName == null ? "" : producerName;
    producerVersion = producerVersion == null ? "" : producerVersion;
    domain = domain == null ? "" : domain;
    docString = docString == null ? "" : docString;
  }
}

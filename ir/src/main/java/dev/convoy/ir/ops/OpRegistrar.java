package dev.convoy.ir.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * What an {@link OpFamily} registers into: {@code r.op("Relu", 14).shape(...).kernel(...)}. Every
 * builder handed out is built into the catalog after the family's {@code register} returns, so
 * there is no terminal call to forget.
 */
public final class OpRegistrar {
  private final List<OpDef.Builder> builders = new ArrayList<>();

  /** An op of the default ONNX domain, defined from opset {@code since}. */
  public OpDef.Builder op(String opType, int since) {
    return op("", opType, since);
  }

  /** An op of {@code domain} ({@code ""} or {@code ai.onnx} for the default domain). */
  public OpDef.Builder op(String domain, String opType, int since) {
    var b = new OpDef.Builder(OpCatalog.normalizeDomain(domain), opType, since);
    builders.add(b);
    return b;
  }

  List<OpDef> build() {
    return builders.stream().map(OpDef.Builder::build).toList();
  }
}

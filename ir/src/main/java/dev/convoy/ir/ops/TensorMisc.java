package dev.convoy.ir.ops;

/** The TensorMisc op family (in progress). */
public final class TensorMisc implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

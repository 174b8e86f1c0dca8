package dev.convoy.ir.ops;

/** The Training op family (in progress). */
public final class Training implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

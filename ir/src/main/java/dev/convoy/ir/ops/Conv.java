package dev.convoy.ir.ops;

/** The Conv op family (in progress). */
public final class Conv implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** The Signal op family (in progress). */
public final class Signal implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

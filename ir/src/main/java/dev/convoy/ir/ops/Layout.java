package dev.convoy.ir.ops;

/** The Layout op family (in progress). */
public final class Layout implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

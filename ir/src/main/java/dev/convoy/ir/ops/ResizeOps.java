package dev.convoy.ir.ops;

/** The ResizeOps op family (in progress). */
public final class ResizeOps implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** The ShapeOps op family (in progress). */
public final class ShapeOps implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** The StringOps op family (in progress). */
public final class StringOps implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** The AttentionOps op family (in progress). */
public final class AttentionOps implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

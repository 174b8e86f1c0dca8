package dev.convoy.ir.ops;

/** The Normalization op family (in progress). */
public final class Normalization implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

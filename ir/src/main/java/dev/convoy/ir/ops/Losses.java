package dev.convoy.ir.ops;

/** The Losses op family (in progress). */
public final class Losses implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

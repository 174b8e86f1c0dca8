package dev.convoy.ir.ops;

/** Reductions: the ReduceX ops, ArgMax and ArgMin. */
public final class Reduce implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** Pooling: MaxPool, AveragePool, LpPool, the global pools, MaxUnpool, MaxRoiPool and RoiAlign. */
public final class Pooling implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

package dev.convoy.ir.ops;

/** Detection post-processing: NonMaxSuppression. */
public final class Detection implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

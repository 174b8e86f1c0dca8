package dev.convoy.ir.ops;

/** The Indexing op family (in progress). */
public final class Indexing implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

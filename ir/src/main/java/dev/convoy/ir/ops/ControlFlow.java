package dev.convoy.ir.ops;

/** Control flow: If, Loop and Scan, running their bodies through the evaluator's subgraph runner. */
public final class ControlFlow implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

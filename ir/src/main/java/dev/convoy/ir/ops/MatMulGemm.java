package dev.convoy.ir.ops;

/** The MatMulGemm op family (in progress). */
public final class MatMulGemm implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

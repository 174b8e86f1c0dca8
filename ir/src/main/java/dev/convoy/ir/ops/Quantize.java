package dev.convoy.ir.ops;

/** The Quantize op family (in progress). */
public final class Quantize implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

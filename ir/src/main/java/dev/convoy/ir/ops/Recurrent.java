package dev.convoy.ir.ops;

/** Recurrent nets: LSTM, GRU and RNN in all directions and layouts. */
public final class Recurrent implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

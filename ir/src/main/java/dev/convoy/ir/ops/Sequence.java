package dev.convoy.ir.ops;

/** Sequences and optionals: SequenceConstruct/Empty/At/Insert/Erase/Length, SplitToSequence, ConcatFromSequence, SequenceMap, Optional and its accessors. */
public final class Sequence implements OpFamily {
  @Override
  public void register(OpRegistrar r) {}
}

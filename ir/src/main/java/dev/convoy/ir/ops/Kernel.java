package dev.convoy.ir.ops;

import java.util.List;

/**
 * The reference implementation of one op: computes the node's outputs from its inputs. Returns
 * one entry per node output (an entry may be {@code null} only for an output the node omits).
 * Kernels are stateless and must not mutate their inputs.
 */
@FunctionalInterface
public interface Kernel {
  List<RuntimeValue> compute(KernelContext ctx);
}

/**
 * The tuned numeric runtime kernels call: GEMM over float, double and integer types
 * ({@link dev.convoy.ir.ops.runtime.Blas}), parallel ranges on a shared pool
 * ({@link dev.convoy.ir.ops.runtime.Parallel}), per-thread scratch buffers
 * ({@link dev.convoy.ir.ops.runtime.Scratch}), strided copies
 * ({@link dev.convoy.ir.ops.runtime.Strided}) and the bit formats of narrow types
 * ({@link dev.convoy.ir.ops.runtime.NarrowTypes}). It knows no op: nothing here imports
 * {@code ir.ops.family}.
 */
package dev.convoy.ir.ops.runtime;

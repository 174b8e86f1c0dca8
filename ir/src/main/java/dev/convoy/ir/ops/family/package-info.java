/**
 * The ops of the standard catalog, one family per file ({@code Elementwise}, {@code Conv},
 * {@code Pooling}, {@code Reduce}, {@code Reshaping}, {@code Gather}, ...), each registering its
 * ops' shape functions and reference kernels through {@link dev.convoy.ir.ops.OpRegistrar}, and
 * listed once in {@link dev.convoy.ir.ops.family.OpFamilies}. A family builds on the API in
 * {@code ir.ops} and the numeric runtime in {@code ir.ops.runtime}; nothing outside this package
 * names a family class except through the catalog.
 */
package dev.convoy.ir.ops.family;

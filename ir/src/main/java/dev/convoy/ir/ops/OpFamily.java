package dev.convoy.ir.ops;

/**
 * A group of related ops in one file ({@code Elementwise}, {@code Conv}, ...), registering each
 * op version into the catalog. Families live in {@code ir.ops.family} and are listed once in
 * {@link dev.convoy.ir.ops.family.OpFamilies}.
 */
public interface OpFamily {
  void register(OpRegistrar r);
}

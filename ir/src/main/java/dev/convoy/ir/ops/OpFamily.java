package dev.convoy.ir.ops;

/**
 * A group of related ops in one file ({@code Elementwise}, {@code Conv}, ...), registering each
 * op version into the catalog. Families are listed once in {@link OpFamilies}.
 */
public interface OpFamily {
  void register(OpRegistrar r);
}

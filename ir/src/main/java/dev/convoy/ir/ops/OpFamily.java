package dev.convoy.ir.ops;

import dev.convoy.ir.ops.family.Conv;
import dev.convoy.ir.ops.family.Elementwise;
import dev.convoy.ir.ops.family.OpFamilies;

/**
 * A group of related ops in one file ({@code Elementwise}, {@code Conv}, ...), registering each
 * op version into the catalog. Families are listed once in {@link dev.convoy.ir.ops.family.OpFamilies}.
 */
public interface OpFamily {
  void register(OpRegistrar r);
}

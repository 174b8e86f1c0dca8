package dev.convoy.ir.ops;

import dev.convoy.ir.graph.ValueType;
import java.util.List;

/**
 * Type and shape inference for one op: output types from input types, attributes and whatever
 * inputs are known constants. Returns one entry per output; {@code null} (or a shorter list)
 * leaves an output unknown. Throws {@link ShapeInferenceException} when the inputs provably
 * cannot satisfy the op (incompatible broadcast, wrong rank).
 */
@FunctionalInterface
public interface ShapeFn {
  List<ValueType> infer(InferenceContext ctx);
}

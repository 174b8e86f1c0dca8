package dev.convoy.ir.ops;

import dev.convoy.ir.graph.Attribute;

/**
 * One attribute an op accepts: its name, its default ({@code null} when it has none) and whether
 * a node must set it. Kernels and shape functions read attributes through {@link NodeContext},
 * which falls back to the default here so families never repeat a default in code.
 */
public record AttrSpec(String name, Attribute defaultValue, boolean required) {}

/**
 * Whole-graph execution and inference over the op catalog: {@link dev.convoy.ir.eval.Evaluator}
 * runs a graph (subgraphs included) on given inputs with the reference kernels, and {@link
 * dev.convoy.ir.eval.ShapeInference} fills value types over a graph or for one new node.
 */
package dev.convoy.ir.eval;

/**
 * Static memory plans as a model carries them: the plan ({@link dev.convoy.ir.memory.MemoryPlan}),
 * its metadata encoding ({@link dev.convoy.ir.memory.MemoryPlanCodec}) and the check that a plan
 * fits its graph ({@link dev.convoy.ir.memory.MemoryPlanCheck}), and the offset planner ({@link
 * dev.convoy.ir.memory.OffsetPlanner}) that places blocks with lifetimes, for the graph planner
 * in the transforms module and for the evaluator's per-class arena arrays.
 */
package dev.convoy.ir.memory;

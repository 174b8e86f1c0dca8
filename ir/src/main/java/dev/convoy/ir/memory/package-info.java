/**
 * Static memory plans as a model carries them: the plan ({@link dev.convoy.ir.memory.MemoryPlan}),
 * its metadata encoding ({@link dev.convoy.ir.memory.MemoryPlanCodec}) and the check that a plan
 * fits its graph ({@link dev.convoy.ir.memory.MemoryPlanCheck}). The planner is in the transforms
 * module.
 */
package dev.convoy.ir.memory;

/**
 * The op catalog's API: per op (domain, type, opset range) its arity, attributes with defaults,
 * type and shape inference and the reference kernel ({@link dev.convoy.ir.ops.OpCatalog},
 * {@link dev.convoy.ir.ops.OpDef}, the contexts), and the toolkit kernels are written with. The
 * ops themselves live in {@code ir.ops.family}, one {@link dev.convoy.ir.ops.OpFamily} per file,
 * listed once in {@link dev.convoy.ir.ops.family.OpFamilies}; the tuned numeric runtime they call
 * (GEMM, parallel ranges, scratch buffers, strided copies, narrow types) lives in
 * {@code ir.ops.runtime}.
 *
 * <h2>Runtime values</h2>
 * {@link dev.convoy.ir.ops.RuntimeValue} is a tensor ({@link dev.convoy.ir.ops.NdArray}: dtype,
 * dims, one primitive storage array), a sequence or an optional. Kernels never mutate inputs.
 *
 * <h2>Toolkit</h2>
 * <ul>
 *   <li>{@link dev.convoy.ir.ops.Kernels}: {@code map}/{@code mapFloat} (unary, float math once
 *       over double for all four float types), {@code zip} (binary with broadcasting),
 *       {@code compare} (to bool), {@code convert} (casts).
 *   <li>{@link dev.convoy.ir.ops.Broadcast}: result shapes, strides, {@code forEachRow} (iterate
 *       an output with each operand's offset and step, dims coalesced), {@code indexMap}.
 *   <li>{@link dev.convoy.ir.ops.KernelContext}: {@code tensor(i)}, {@code optionalTensor(i)},
 *       {@code longs(i)} (axes/shapes inputs as long[]), {@code scalarDouble/scalarLong},
 *       {@code attrLong/attrFloat/attrString/attrLongs} (falling back to declared defaults),
 *       {@code axis(a, rank)}, {@code error(msg)}, {@code parallel().forRange(...)},
 *       {@code runSubgraph(body, inputs)}.
 *   <li>{@link dev.convoy.ir.ops.ShapeFns}: {@code sameAsInput}, {@code sameShapeAs},
 *       {@code broadcast}, {@code broadcastTo}, {@code broadcastShapes} (symbolic dims),
 *       {@code tensor(dtype, shape)}; {@link dev.convoy.ir.ops.InferenceContext} gives input
 *       types, known constant inputs ({@code constantLongs(i)}) and {@code inferSubgraph}.
 *   <li>{@link dev.convoy.ir.ops.NdArray}: {@code allocate}, {@code wrap}, {@code fromDoubles},
 *       {@code fromLongs}, {@code toDoubles}/{@code toFloats}/{@code toLongs}, {@code reshape}.
 * </ul>
 *
 * <h2>Adding an op family</h2>
 * Create {@code MyFamily implements OpFamily} in {@code ir.ops.family}, add {@code new MyFamily()} to
 * {@link dev.convoy.ir.ops.family.OpFamilies#all()}, and register each op version where its semantics
 * change (lookup takes the newest entry not newer than the model's opset):
 *
 * <pre>{@code
 * public final class Activations implements OpFamily {
 *   public void register(OpRegistrar r) {
 *     r.op("LeakyRelu", 6).attr("alpha", 0.01f)
 *         .shape(ShapeFns.sameAsInput(0))
 *         .kernel(ctx -> {
 *           double a = ctx.attrFloat("alpha");
 *           return Kernels.one(Kernels.mapFloat(ctx.tensor(0), x -> x >= 0 ? x : a * x));
 *         });
 *     // an attribute that became an input: register the new form at its opset
 *     r.op("Squeeze", 13).inputs(1, 2).shape(...).kernel(ctx -> { long[] axes = ctx.longs(1); ... });
 *   }
 * }
 * }</pre>
 *
 * Shape functions return {@code null} for outputs they cannot tell and throw
 * {@link dev.convoy.ir.ops.ShapeInferenceException} only for provable contradictions. Kernels
 * report bad data with {@code ctx.error(...)} and unsupported element types with
 * {@link dev.convoy.ir.UnsupportedOpException}, never a guessed answer.
 */
package dev.convoy.ir.ops;

/**
 * The optimizer: rules, passes, pipelines and levels.
 *
 * <h2>Rules</h2>
 * A {@link dev.convoy.transforms.optimize.Rule} is a local rewrite with a stable kebab-case name.
 * New rules are {@link dev.convoy.transforms.optimize.TreeRule}s, in three parts:
 * <ol>
 *   <li><b>the pattern</b>, a {@link dev.convoy.transforms.optimize.PatternTree} declared as data
 *       ({@code op("Mul", var("x"), op("HardSigmoid", var("x")))}), held in a constant. The
 *       driver indexes the rule by the tree's root ops; the matcher handles commutative operands,
 *       a variable used twice (the same value), constants ({@code scalar(0.5)}, {@code
 *       scalar("eps")}, {@code constant("w")}), alternatives ({@code anyOf}) and sole use: every
 *       matched node but the root feeds only the pattern and is no graph output, so the rule never
 *       checks that itself;</li>
 *   <li><b>the condition</b>, {@code check(Binding, Rewriter)}: what the tree cannot say
 *       (attributes, shapes, the opset or target), cheap tests first, returning a small match
 *       record or {@link dev.convoy.transforms.optimize.Match#fail} with a reason that tests
 *       assert. The matcher tries every binding (both orders of each commutative op) until one
 *       passes the condition, and otherwise reports the failure that got furthest;</li>
 *   <li><b>the rewrite</b>, {@code apply(root, record, Rewriter)}: it takes the record (a rule
 *       keeps no state in fields and never matches twice) and changes the graph only through the
 *       {@link dev.convoy.transforms.optimize.Rewriter}.</li>
 * </ol>
 * Rules that match by hand implement {@link dev.convoy.transforms.optimize.MatchingRule} with the
 * helpers of {@link dev.convoy.transforms.optimize.Matchers}; a tree rule is a {@code
 * MatchingRule} whose match comes from its tree.
 *
 * <h2>The editor and the driver</h2>
 * {@link dev.convoy.transforms.optimize.Rewriter} is the one editor: rules and passes never call
 * the IR's mutators (a test reads the compiled optimizer for such calls and names file and line).
 * It keeps use lists, graph output names and topological order right, and reports every
 * structural change to a {@link dev.convoy.transforms.optimize.Rewriter.Listener} (node inserted,
 * erased or modified, value replaced, input dropped), as MLIR's {@code RewriterBase::Listener}.
 * {@link dev.convoy.transforms.optimize.RuleSetPass} is the worklist driver: its worklist listens
 * to the editor and requeues what a change may affect, so the editor knows nothing of the driver.
 *
 * <h2>Passes and pipelines</h2>
 * A {@link dev.convoy.transforms.optimize.Pass} transforms the whole graph (shape inference, CSE,
 * dead code); a {@link dev.convoy.transforms.optimize.PassPipeline} is the text in {@code
 * configs/pipelines} naming passes and rule sets per level. See {@code docs/rules.md} for how to
 * write a rule, with a worked example.
 */
package dev.convoy.transforms.optimize;

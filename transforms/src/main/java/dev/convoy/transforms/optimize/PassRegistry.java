package dev.convoy.transforms.optimize;

import dev.convoy.transforms.memory.PlanMemoryPass;
import dev.convoy.transforms.optimize.eliminate.DeduplicateInitializers;
import dev.convoy.transforms.optimize.eliminate.EliminateAddZero;
import dev.convoy.transforms.optimize.eliminate.EliminateCastRoundTrip;
import dev.convoy.transforms.optimize.eliminate.EliminateCommonSubexpressions;
import dev.convoy.transforms.optimize.eliminate.EliminateConcatSlice;
import dev.convoy.transforms.optimize.eliminate.EliminateDeadNode;
import dev.convoy.transforms.optimize.eliminate.EliminateDoubleNegation;
import dev.convoy.transforms.optimize.eliminate.EliminateDropout;
import dev.convoy.transforms.optimize.eliminate.EliminateFullSlice;
import dev.convoy.transforms.optimize.eliminate.EliminateIdentity;
import dev.convoy.transforms.optimize.eliminate.EliminateIdentityTranspose;
import dev.convoy.transforms.optimize.eliminate.EliminateMulOne;
import dev.convoy.transforms.optimize.eliminate.EliminateNopCast;
import dev.convoy.transforms.optimize.eliminate.EliminateNopExpand;
import dev.convoy.transforms.optimize.eliminate.EliminateNopFlatten;
import dev.convoy.transforms.optimize.eliminate.EliminateNopPool;
import dev.convoy.transforms.optimize.eliminate.EliminateNopReshape;
import dev.convoy.transforms.optimize.eliminate.EliminateNopSqueeze;
import dev.convoy.transforms.optimize.eliminate.EliminatePowOne;
import dev.convoy.transforms.optimize.eliminate.EliminateQdqRoundTrip;
import dev.convoy.transforms.optimize.eliminate.EliminateSingleInputVariadic;
import dev.convoy.transforms.optimize.eliminate.EliminateSingleSplit;
import dev.convoy.transforms.optimize.eliminate.EliminateSqueezeUnsqueeze;
import dev.convoy.transforms.optimize.eliminate.EliminateUnusedInitializers;
import dev.convoy.transforms.optimize.eliminate.EliminateZeroPad;
import dev.convoy.transforms.optimize.eliminate.EliminateNotWhere;
import dev.convoy.transforms.optimize.eliminate.EliminatePreShapeNode;
import dev.convoy.transforms.optimize.eliminate.EliminateReshapeRoundTrip;
import dev.convoy.transforms.optimize.eliminate.MergeReshapeChain;
import dev.convoy.transforms.optimize.eliminate.MergeTransposes;
import dev.convoy.transforms.optimize.fold.ConstantToInitializer;
import dev.convoy.transforms.optimize.fuse.FuseActivation;
import dev.convoy.transforms.optimize.fuse.FuseBiasGelu;
import dev.convoy.transforms.optimize.fuse.FuseConvAdd;
import dev.convoy.transforms.optimize.fuse.FuseConvBatchNorm;
import dev.convoy.transforms.optimize.fuse.FuseConvMul;
import dev.convoy.transforms.optimize.fuse.FuseGeluErf;
import dev.convoy.transforms.optimize.fuse.FuseHardSigmoid;
import dev.convoy.transforms.optimize.fuse.FuseHardSwish;
import dev.convoy.transforms.optimize.fuse.FuseLayerNorm;
import dev.convoy.transforms.optimize.fuse.FuseSlicesToSplit;
import dev.convoy.transforms.optimize.fuse.FuseMatMulAdd;
import dev.convoy.transforms.optimize.fuse.FuseMatMulBias;
import dev.convoy.transforms.optimize.fuse.FuseSkipLayerNorm;
import dev.convoy.transforms.optimize.fuse.FuseSwish;
import dev.convoy.transforms.optimize.fold.FoldConstants;
import dev.convoy.transforms.optimize.fold.FoldShapeElements;
import dev.convoy.transforms.optimize.fold.FoldStaticShape;
import dev.convoy.transforms.optimize.fold.MaterializeReshapeShape;
import dev.convoy.transforms.optimize.fold.InlineConstantIf;
import dev.convoy.transforms.optimize.infer.FixInputShapes;
import dev.convoy.transforms.optimize.infer.InferShapes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Every rule and pass Convoy has, by its stable kebab-case name: what pipeline files, {@code
 * --enable} and {@code --disable} refer to. Names are unique across rules and passes. Besides the
 * built-in rules, any {@link Rule} a jar on the classpath declares as a service ({@code
 * META-INF/services/dev.convoy.transforms.optimize.Rule}) is registered; it runs only when a
 * pipeline file or {@code --enable} names it.
 */
public final class PassRegistry {
  private static final Map<String, Supplier<Rule>> RULES = new LinkedHashMap<>();
  private static final Map<String, Supplier<Pass>> PASSES = new LinkedHashMap<>();

  static {
    for (Supplier<Rule> s :
        List.<Supplier<Rule>>of(
            ConstantToInitializer::new,
            FoldStaticShape::new,
            FoldShapeElements::new,
            MaterializeReshapeShape::new,
            FoldConstants::new,
            InlineConstantIf::new,
            EliminateIdentity::new,
            EliminateDropout::new,
            EliminateSingleInputVariadic::new,
            EliminateNopCast::new,
            EliminateNopReshape::new,
            EliminateNopExpand::new,
            EliminateNopSqueeze::new,
            EliminateNopFlatten::new,
            EliminateFullSlice::new,
            EliminateZeroPad::new,
            EliminateIdentityTranspose::new,
            EliminateSingleSplit::new,
            EliminateNopPool::new,
            EliminateSqueezeUnsqueeze::new,
            MergeTransposes::new,
            MergeReshapeChain::new,
            EliminateReshapeRoundTrip::new,
            EliminatePreShapeNode::new,
            EliminateNotWhere::new,
            EliminateCastRoundTrip::new,
            EliminateQdqRoundTrip::new,
            EliminateConcatSlice::new,
            EliminateAddZero::new,
            EliminateMulOne::new,
            EliminatePowOne::new,
            EliminateDoubleNegation::new,
            EliminateDeadNode::new,
            FuseConvBatchNorm::new,
            FuseConvAdd::new,
            FuseConvMul::new,
            FuseGeluErf::new,
            FuseMatMulAdd::new,
            FuseHardSigmoid::new,
            FuseHardSwish::new,
            FuseLayerNorm::new,
            FuseSlicesToSplit::new,
            FuseActivation::new,
            FuseMatMulBias::new,
            FuseBiasGelu::new,
            FuseSkipLayerNorm::new,
            FuseSwish::new)) {
      RULES.put(s.get().name(), s);
    }
    // Rules contributed by jars on the classpath (META-INF/services), after the built-in ones.
    for (ServiceLoader.Provider<Rule> p : ServiceLoader.load(Rule.class).stream().toList()) {
      String name = p.get().name();
      if (RULES.putIfAbsent(name, p::get) != null) {
        throw new IllegalStateException(
            p.type().getName() + " reuses the name of a built-in rule '" + name + "'");
      }
    }
    for (Supplier<Pass> s :
        List.<Supplier<Pass>>of(
            FixInputShapes::new,
            InferShapes::new,
            EliminateCommonSubexpressions::new,
            DeduplicateInitializers::new,
            EliminateUnusedInitializers::new,
            PlanMemoryPass::new)) {
      PASSES.put(s.get().name(), s);
    }
  }

  private PassRegistry() {}

  public static boolean isRule(String name) {
    return RULES.containsKey(name);
  }

  public static boolean isPass(String name) {
    return PASSES.containsKey(name);
  }

  /** A fresh instance of the rule named {@code name}. */
  public static Rule rule(String name) {
    Supplier<Rule> s = RULES.get(name);
    if (s == null) {
      throw unknown(name);
    }
    return s.get();
  }

  /** A fresh instance of the pass named {@code name}. */
  public static Pass pass(String name) {
    Supplier<Pass> s = PASSES.get(name);
    if (s == null) {
      throw unknown(name);
    }
    return s.get();
  }

  /** Every rule name, in registration order. */
  public static Set<String> ruleNames() {
    return RULES.keySet();
  }

  /** Every pass name, in registration order. */
  public static Set<String> passNames() {
    return PASSES.keySet();
  }

  /** Fails with a message listing the known names when {@code name} is neither. */
  public static void requireKnown(String name, String where) {
    if (!isRule(name) && !isPass(name)) {
      throw new OptimizeException(where + ": " + unknown(name).getMessage());
    }
  }

  private static OptimizeException unknown(String name) {
    Set<String> all = new TreeSet<>(RULES.keySet());
    all.addAll(PASSES.keySet());
    return new OptimizeException(
        "unknown rule or pass '" + name + "' (known: " + String.join(", ", all) + ")");
  }
}

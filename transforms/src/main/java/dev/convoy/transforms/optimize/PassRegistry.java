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
import dev.convoy.transforms.optimize.eliminate.EliminateDequantizeQuantize;
import dev.convoy.transforms.optimize.eliminate.EliminateQdqRoundTrip;
import dev.convoy.transforms.optimize.eliminate.EliminateSingleInputVariadic;
import dev.convoy.transforms.optimize.eliminate.EliminateSingleSplit;
import dev.convoy.transforms.optimize.eliminate.EliminateSqueezeUnsqueeze;
import dev.convoy.transforms.optimize.eliminate.EliminateUnusedInitializers;
import dev.convoy.transforms.optimize.eliminate.EliminateZeroPad;
import dev.convoy.transforms.optimize.eliminate.EliminateNotWhere;
import dev.convoy.transforms.optimize.eliminate.EliminateZeroRecurrentState;
import dev.convoy.transforms.optimize.eliminate.EliminatePreShapeNode;
import dev.convoy.transforms.optimize.eliminate.EliminateReshapeRoundTrip;
import dev.convoy.transforms.optimize.eliminate.MergeReshapeChain;
import dev.convoy.transforms.optimize.eliminate.MergeTransposes;
import dev.convoy.transforms.optimize.fold.ConstantToInitializer;
import dev.convoy.transforms.optimize.fuse.FuseClampQuantize;
import dev.convoy.transforms.optimize.fuse.FuseClipChain;
import dev.convoy.transforms.optimize.fuse.FuseActivation;
import dev.convoy.transforms.optimize.fuse.FuseAttention;
import dev.convoy.transforms.optimize.fuse.FuseAttentionHeads;
import dev.convoy.transforms.optimize.fuse.FuseMultiHeadAttention;
import dev.convoy.transforms.optimize.fuse.FuseBiasGelu;
import dev.convoy.transforms.optimize.fuse.FuseConvAdd;
import dev.convoy.transforms.optimize.fuse.FuseConvBatchNorm;
import dev.convoy.transforms.optimize.fuse.FuseConvMul;
import dev.convoy.transforms.optimize.fuse.FuseConvOutputAffine;
import dev.convoy.transforms.optimize.fuse.FuseConcatShuffleSplit;
import dev.convoy.transforms.optimize.fuse.FuseConvResidual;
import dev.convoy.transforms.optimize.fuse.ReplaceConvWinograd;
import dev.convoy.transforms.optimize.fuse.FuseConvTransposeAffine;
import dev.convoy.transforms.optimize.fuse.FuseDepthToSpace;
import dev.convoy.transforms.optimize.fuse.FuseGemmAffine;
import dev.convoy.transforms.optimize.fuse.FuseGeluErf;
import dev.convoy.transforms.optimize.fuse.FuseGeluTanh;
import dev.convoy.transforms.optimize.fuse.FuseHardSigmoid;
import dev.convoy.transforms.optimize.fuse.FuseHardSwish;
import dev.convoy.transforms.optimize.fuse.FuseLayerNorm;
import dev.convoy.transforms.optimize.fuse.FuseCenteringIntoLinear;
import dev.convoy.transforms.optimize.fuse.FuseScaleIntoMatMul;
import dev.convoy.transforms.optimize.fuse.FuseSeparableConv;
import dev.convoy.transforms.optimize.fuse.FuseSiblingConvs;
import dev.convoy.transforms.optimize.fuse.FuseSiblingMatMulIntegerToFloat;
import dev.convoy.transforms.optimize.fuse.FuseSiblingMatMuls;
import dev.convoy.transforms.optimize.fuse.FuseSlicesToSplit;
import dev.convoy.transforms.optimize.fuse.FuseSwish;
import dev.convoy.transforms.optimize.fuse.FuseTransposeIntoGemm;
import dev.convoy.transforms.optimize.fuse.FuseMatMulAdd;
import dev.convoy.transforms.optimize.fuse.FuseMaxPoolChain;
import dev.convoy.transforms.optimize.fuse.FuseConcatMaxPool;
import dev.convoy.transforms.optimize.fuse.FuseMatMulAddFlattened;
import dev.convoy.transforms.optimize.fuse.FuseMish;
import dev.convoy.transforms.optimize.fuse.FuseNegIntoAddSub;
import dev.convoy.transforms.optimize.fuse.FusePadIntoConvPool;
import dev.convoy.transforms.optimize.fuse.FuseQdqConv;
import dev.convoy.transforms.optimize.fuse.FuseQdqGemm;
import dev.convoy.transforms.optimize.fuse.FuseQdqGlobalAveragePool;
import dev.convoy.transforms.optimize.fuse.FuseQdqMatMul;
import dev.convoy.transforms.optimize.fuse.FuseQdqShapeOp;
import dev.convoy.transforms.optimize.fuse.FuseRmsNorm;
import dev.convoy.transforms.optimize.fuse.ReplaceDivByPowerOfTwo;
import dev.convoy.transforms.optimize.fuse.FuseMatMulBias;
import dev.convoy.transforms.optimize.fuse.FuseDynamicQuantizeMatMul;
import dev.convoy.transforms.optimize.fuse.FuseMatMulIntegerToFloat;
import dev.convoy.transforms.optimize.fuse.FuseSkipLayerNorm;
import dev.convoy.transforms.optimize.fuse.FuseGatedActivation;
import dev.convoy.transforms.optimize.fuse.FuseSwish;
import dev.convoy.transforms.optimize.fold.FoldConstants;
import dev.convoy.transforms.optimize.fold.FoldShapeElements;
import dev.convoy.transforms.optimize.fold.FoldStaticShape;
import dev.convoy.transforms.optimize.fold.MaterializeReshapeShape;
import dev.convoy.transforms.optimize.fold.InlineConstantIf;
import dev.convoy.transforms.optimize.infer.FixInputShapes;
import dev.convoy.transforms.optimize.infer.InferShapes;
import dev.convoy.transforms.optimize.layout.ConvertToNhwc;
import dev.convoy.transforms.optimize.layout.FuseChannelShuffle;
import dev.convoy.transforms.optimize.layout.FuseConcatChannelShuffleSplit;
import dev.convoy.transforms.optimize.layout.NhwcIo;
import dev.convoy.transforms.optimize.layout.SinkTransposesIntoJoin;
import dev.convoy.transforms.optimize.move.HoistTranspose;
import dev.convoy.transforms.optimize.move.MoveCastRoundTrip;
import dev.convoy.transforms.optimize.move.MoveDequantizeLinear;
import dev.convoy.transforms.optimize.move.MoveQuantizeLinear;
import dev.convoy.transforms.optimize.move.SinkTranspose;
import dev.convoy.transforms.optimize.move.HoistConcat;
import dev.convoy.transforms.optimize.move.SinkSplit;
import dev.convoy.transforms.optimize.move.SinkTransposeIntoMatMul;
import dev.convoy.transforms.optimize.move.TransposeToReshape;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
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
 * pipeline file or {@code --enable} names it. Names come from each rule's and pass's {@code NAME}
 * constant, so listing or checking names builds no rule (nor the op catalog some rules hold).
 */
public final class PassRegistry {
  private static final Map<String, Supplier<Rule>> RULES = new LinkedHashMap<>();
  private static final Map<String, Supplier<Pass>> PASSES = new LinkedHashMap<>();

  static {
    addRule(ConstantToInitializer.NAME, ConstantToInitializer::new);
    addRule(FoldStaticShape.NAME, FoldStaticShape::new);
    addRule(FoldShapeElements.NAME, FoldShapeElements::new);
    addRule(MaterializeReshapeShape.NAME, MaterializeReshapeShape::new);
    addRule(FoldConstants.NAME, FoldConstants::new);
    addRule(InlineConstantIf.NAME, InlineConstantIf::new);
    addRule(EliminateIdentity.NAME, EliminateIdentity::new);
    addRule(EliminateDropout.NAME, EliminateDropout::new);
    addRule(EliminateSingleInputVariadic.NAME, EliminateSingleInputVariadic::new);
    addRule(EliminateNopCast.NAME, EliminateNopCast::new);
    addRule(EliminateNopReshape.NAME, EliminateNopReshape::new);
    addRule(EliminateNopExpand.NAME, EliminateNopExpand::new);
    addRule(EliminateNopSqueeze.NAME, EliminateNopSqueeze::new);
    addRule(EliminateNopFlatten.NAME, EliminateNopFlatten::new);
    addRule(EliminateFullSlice.NAME, EliminateFullSlice::new);
    addRule(EliminateZeroPad.NAME, EliminateZeroPad::new);
    addRule(EliminateIdentityTranspose.NAME, EliminateIdentityTranspose::new);
    addRule(EliminateSingleSplit.NAME, EliminateSingleSplit::new);
    addRule(EliminateNopPool.NAME, EliminateNopPool::new);
    addRule(EliminateSqueezeUnsqueeze.NAME, EliminateSqueezeUnsqueeze::new);
    addRule(MergeTransposes.NAME, MergeTransposes::new);
    addRule(MergeReshapeChain.NAME, MergeReshapeChain::new);
    addRule(EliminateReshapeRoundTrip.NAME, EliminateReshapeRoundTrip::new);
    addRule(EliminatePreShapeNode.NAME, EliminatePreShapeNode::new);
    addRule(EliminateNotWhere.NAME, EliminateNotWhere::new);
    addRule(EliminateZeroRecurrentState.NAME, EliminateZeroRecurrentState::new);
    addRule(EliminateCastRoundTrip.NAME, EliminateCastRoundTrip::new);
    addRule(EliminateQdqRoundTrip.NAME, EliminateQdqRoundTrip::new);
    addRule(EliminateConcatSlice.NAME, EliminateConcatSlice::new);
    addRule(EliminateAddZero.NAME, EliminateAddZero::new);
    addRule(EliminateMulOne.NAME, EliminateMulOne::new);
    addRule(EliminatePowOne.NAME, EliminatePowOne::new);
    addRule(EliminateDoubleNegation.NAME, EliminateDoubleNegation::new);
    addRule(EliminateDeadNode.NAME, EliminateDeadNode::new);
    addRule(FuseConvBatchNorm.NAME, FuseConvBatchNorm::new);
    addRule(FuseConvAdd.NAME, FuseConvAdd::new);
    addRule(FuseConvMul.NAME, FuseConvMul::new);
    addRule(FuseGeluErf.NAME, FuseGeluErf::new);
    addRule(FuseMatMulAdd.NAME, FuseMatMulAdd::new);
    addRule(FuseHardSigmoid.NAME, FuseHardSigmoid::new);
    addRule(FuseHardSwish.NAME, FuseHardSwish::new);
    addRule(FuseLayerNorm.NAME, FuseLayerNorm::new);
    addRule(FuseSlicesToSplit.NAME, FuseSlicesToSplit::new);
    addRule(FuseSiblingConvs.NAME, FuseSiblingConvs::new);
    addRule(FuseSiblingMatMuls.NAME, FuseSiblingMatMuls::new);
    addRule(FuseSiblingMatMulIntegerToFloat.NAME, FuseSiblingMatMulIntegerToFloat::new);
    addRule(FuseScaleIntoMatMul.NAME, FuseScaleIntoMatMul::new);
    addRule(FuseCenteringIntoLinear.NAME, FuseCenteringIntoLinear::new);
    addRule(FuseClipChain.NAME, FuseClipChain::new);
    addRule(FuseClampQuantize.NAME, FuseClampQuantize::new);
    addRule(FuseQdqShapeOp.NAME, FuseQdqShapeOp::new);
    addRule(FuseConvTransposeAffine.NAME, FuseConvTransposeAffine::new);
    addRule(FuseGemmAffine.NAME, FuseGemmAffine::new);
    addRule(FuseGeluTanh.NAME, FuseGeluTanh::new);
    addRule(FuseMish.NAME, FuseMish::new);
    addRule(FusePadIntoConvPool.NAME, FusePadIntoConvPool::new);
    addRule(FuseDepthToSpace.NAME, FuseDepthToSpace::new);
    addRule(FuseNegIntoAddSub.NAME, FuseNegIntoAddSub::new);
    addRule(ReplaceDivByPowerOfTwo.NAME, ReplaceDivByPowerOfTwo::new);
    addRule(FuseRmsNorm.NAME, FuseRmsNorm::new);
    addRule(FuseSwish.NAME, FuseSwish::new);
    addRule(FuseTransposeIntoGemm.NAME, FuseTransposeIntoGemm::new);
    addRule(SinkTranspose.NAME, SinkTranspose::new);
    addRule(HoistTranspose.NAME, HoistTranspose::new);
    addRule(TransposeToReshape.NAME, TransposeToReshape::new);
    addRule(SinkTransposeIntoMatMul.NAME, SinkTransposeIntoMatMul::new);
    addRule(SinkSplit.NAME, SinkSplit::new);
    addRule(HoistConcat.NAME, HoistConcat::new);
    addRule(MoveCastRoundTrip.NAME, MoveCastRoundTrip::new);
    addRule(FuseActivation.NAME, FuseActivation::new);
    addRule(FuseMatMulBias.NAME, FuseMatMulBias::new);
    addRule(FuseBiasGelu.NAME, FuseBiasGelu::new);
    addRule(FuseSkipLayerNorm.NAME, FuseSkipLayerNorm::new);
    addRule(FuseAttention.NAME, FuseAttention::new);
    addRule(FuseAttentionHeads.NAME, FuseAttentionHeads::new);
    addRule(FuseMultiHeadAttention.NAME, FuseMultiHeadAttention::new);
    addRule(FuseGatedActivation.NAME, FuseGatedActivation::new);
    addRule(FuseConvOutputAffine.NAME, FuseConvOutputAffine::new);
    addRule(FuseMaxPoolChain.NAME, FuseMaxPoolChain::new);
    addRule(FuseConcatMaxPool.NAME, FuseConcatMaxPool::new);
    addRule(FuseConvResidual.NAME, FuseConvResidual::new);
    addRule(ReplaceConvWinograd.NAME, ReplaceConvWinograd::new);
    addRule(FuseConcatShuffleSplit.NAME, FuseConcatShuffleSplit::new);
    addRule(FuseSeparableConv.NAME, FuseSeparableConv::new);
    addRule(FuseMatMulIntegerToFloat.NAME, FuseMatMulIntegerToFloat::new);
    addRule(FuseDynamicQuantizeMatMul.NAME, FuseDynamicQuantizeMatMul::new);
    addRule(FuseQdqConv.NAME, FuseQdqConv::new);
    addRule(FuseQdqGemm.NAME, FuseQdqGemm::new);
    addRule(FuseQdqGlobalAveragePool.NAME, FuseQdqGlobalAveragePool::new);
    addRule(FuseQdqMatMul.NAME, FuseQdqMatMul::new);
    addRule(FuseMatMulAddFlattened.NAME, FuseMatMulAddFlattened::new);
    addRule(MoveDequantizeLinear.NAME, MoveDequantizeLinear::new);
    addRule(MoveQuantizeLinear.NAME, MoveQuantizeLinear::new);
    addRule(EliminateDequantizeQuantize.NAME, EliminateDequantizeQuantize::new);
    addPass(FixInputShapes.NAME, FixInputShapes::new);
    addPass(InferShapes.NAME, InferShapes::new);
    addPass(EliminateCommonSubexpressions.NAME, EliminateCommonSubexpressions::new);
    addPass(DeduplicateInitializers.NAME, DeduplicateInitializers::new);
    addPass(EliminateUnusedInitializers.NAME, EliminateUnusedInitializers::new);
    addPass(PlanMemoryPass.NAME, PlanMemoryPass::new);
    addPass(ConvertToNhwc.NAME, ConvertToNhwc::new);
    addRule(FuseChannelShuffle.NAME, FuseChannelShuffle::new);
    addRule(FuseConcatChannelShuffleSplit.NAME, FuseConcatChannelShuffleSplit::new);
    addRule(SinkTransposesIntoJoin.NAME, SinkTransposesIntoJoin::new);
    addPass(NhwcIo.NAME, NhwcIo::new);
    // Rules contributed by jars on the classpath (META-INF/services), after the built-in ones.
    for (ServiceLoader.Provider<Rule> p : ServiceLoader.load(Rule.class).stream().toList()) {
      String name = nameOf(p.type());
      if (RULES.containsKey(name) || PASSES.containsKey(name)) {
        throw new IllegalStateException(
            p.type().getName() + " reuses the name of a built-in rule or pass '" + name + "'");
      }
      addRule(name, p::get);
    }
  }

  private PassRegistry() {}

  private static void addRule(String name, Supplier<Rule> factory) {
    requireNew(name);
    RULES.put(name, factory);
  }

  private static void addPass(String name, Supplier<Pass> factory) {
    requireNew(name);
    PASSES.put(name, factory);
  }

  private static void requireNew(String name) {
    if (RULES.containsKey(name) || PASSES.containsKey(name)) {
      throw new IllegalStateException("two rules or passes are named '" + name + "'");
    }
  }

  /**
   * The name a service rule declares in its {@code public static final String NAME}, read without
   * instantiating it (a rule may build heavy state, such as the op catalog, when constructed).
   */
  static String nameOf(Class<? extends Rule> type) {
    try {
      Field f = type.getField("NAME");
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        return (String) f.get(null);
      }
    } catch (NoSuchFieldException | IllegalAccessException e) {
      // reported below
    }
    throw new IllegalStateException(type.getName()
        + " must declare its rule name as public static final String NAME");
  }

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
    return named(name, s.get());
  }

  /** A fresh instance of the pass named {@code name}. */
  public static Pass pass(String name) {
    Supplier<Pass> s = PASSES.get(name);
    if (s == null) {
      throw unknown(name);
    }
    return named(name, s.get());
  }

  /** {@code built}, checked to answer to the name it was registered under. */
  private static <T> T named(String name, T built) {
    String actual = built instanceof Rule r ? r.name() : ((Pass) built).name();
    if (!actual.equals(name)) {
      throw new IllegalStateException(built.getClass().getName() + " is registered as '" + name
          + "' but calls itself '" + actual + "'");
    }
    return built;
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

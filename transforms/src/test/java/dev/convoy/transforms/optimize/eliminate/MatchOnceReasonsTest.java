package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.fold.FoldConstants;
import dev.convoy.transforms.optimize.fold.FoldStaticShape;
import org.junit.jupiter.api.Test;

/**
 * The eliminate and fold rules match once and say why they do not fire: each fires and keeps the
 * outputs (evaluator and ONNX Runtime), and each refusal carries its reason.
 */
class MatchOnceReasonsTest {
  @Test
  void mulOneForwardsItsOperandAndNamesWhatIsNotNeutral() {
    RuleCases cases = RuleCases.of(new EliminateMulOne(), """
        graph g (%x: float32[2,3]) -> (%y: float32[2,3]) {
          opset "" 13
          init %one: float32[3] = [1.0, 1.0, 1.0]
          %t: float32[2,3] = Mul(%one, %x) @root
          %y = Relu(%t)
        }
        """, "root");
    cases.firesAndKeepsOutputs();
    cases.notWithConstant("one", 2f, "no operand is a constant all 1.0");
    cases.notWhereGraphOutput("t");
  }

  @Test
  void forwardingKeepsAGraphOutputThatAGraphInputCannotStandFor() {
    RuleCases.of(new EliminateIdentity(), """
        graph g (%x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          %y = Identity(%x) @root
        }
        """, "root").notFiring("y is a graph output that x cannot stand for");
  }

  @Test
  void mergeTransposesComposesOrSaysWhyNot() {
    RuleCases cases = RuleCases.of(new MergeTransposes(), """
        graph g (%x: float32[2,3,4]) -> (%y: float32[3,4,2]) {
          opset "" 13
          %t: float32[4,2,3] = Transpose(%x) {perm=[2,0,1]}
          %y = Transpose(%t) {perm=[2,0,1]} @root
        }
        """, "root");
    cases.firesAndKeepsOutputs();
    RuleCases.of(new MergeTransposes(), """
        graph g (%x: float32[2,3,4]) -> (%y: float32[2,3,4]) {
          opset "" 13
          %t: float32[4,2,3] = Transpose(%x) {perm=[2,0,1]}
          %y = Transpose(%t) {perm=[1,2,0]} @root
        }
        """, "root").notFiring("y is a graph output that x cannot stand for");
  }

  @Test
  void notWhereKeepsANotReadElsewhere() {
    RuleCases cases = RuleCases.of(new EliminateNotWhere(), """
        graph g (%c: bool[4], %a: float32[4], %b: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          %n: bool[4] = Not(%c)
          %y = Where(%n, %a, %b) @root
        }
        """, "root");
    cases.firesAndKeepsOutputs();
    cases.notWhereAnotherConsumer("n");
  }

  @Test
  void foldConstantsEvaluatesOnceAndNamesANonConstantInput() {
    RuleCases cases = RuleCases.of(new FoldConstants(), """
        graph g (%x: float32[3]) -> (%y: float32[3]) {
          opset "" 13
          init %a: float32[3] = [1.0, 2.0, 3.0]
          init %b: float32[3] = [0.5, 0.25, -1.0]
          %c: float32[3] = Mul(%a, %b) @root
          %y = Add(%x, %c)
        }
        """, "root");
    cases.firesAndKeepsOutputs();
    RuleCases.of(new FoldConstants(), """
        graph g (%x: float32[3]) -> (%y: float32[3]) {
          opset "" 13
          init %a: float32[3] = [1.0, 2.0, 3.0]
          %c: float32[3] = Mul(%a, %x) @root
          %y = Relu(%c)
        }
        """, "root").notFiring("x is not a constant of a supported type");
  }

  @Test
  void foldStaticShapeNamesADynamicShape() {
    RuleCases.of(new FoldStaticShape(), """
        graph g (%x: float32[N,3]) -> (%y: int64[2]) {
          opset "" 13
          %y = Shape(%x) @root
        }
        """, "root").notFiring("Shape of a value whose shape is not static");
  }
}

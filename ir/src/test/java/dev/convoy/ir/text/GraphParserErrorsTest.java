package dev.convoy.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convoy.ir.InvalidModelException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GraphParserErrorsTest {

  /** Each case: text (with | for line breaks) and the exact message expected. */
  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = ';', textBlock = """
      graph g (%x: float32[2]) -> (%y) {|  %y = Relu(%x|};                     golden.txt:3:1: expected ')' but found '}'
      graph g (%x: float32[2]) -> (%y) {|  %y = Relu(%z)|};                    golden.txt:2:13: undefined value %z
      graph g (%x: float32[2]) -> (%y) {|  %y = Relu(%x)|  %y = Neg(%x)|};     golden.txt:3:3: value %y is already defined (at 2:3)
      graph g (%x: flot32[2]) -> () {};                                         golden.txt:1:14: unknown element type 'flot32' (expected float32, float16, bfloat16, float64, int8..int64, uint8..uint64, bool, string, ...)
      graph g (%x: float32) -> () {};                                           golden.txt:1:21: expected the shape of a float32 tensor ('[' dims ']', '[*]' for unknown rank) but found ')'
      graph g () -> () {|  init %w: float32[3] = [1.0, 2.0]|};                 golden.txt:2:25: a float32[3] tensor has 3 elements but 2 are given
      graph g () -> () {|  init %w: float32[N] = [1.0]|};                      golden.txt:2:25: initializer %w of type float32[N] needs its tensor written with a static type, e.g. float32[2] [1.0, 2.0]
      graph g () -> () {|  init %w: int8[1] = [300]|};                         golden.txt:2:23: integer 300 is outside [-128, 127]
      graph g () -> () {|  %a = Foo() {x=[]}|};                                golden.txt:2:17: an empty list must say its kind: ints[], floats[], strings[], tensors[], graphs[], sparse_tensors[] or types[]
      graph g () -> () {|  %a = Foo() {x="unterminated}|};                     golden.txt:2:17: unterminated string
      graph g () -> () {|  = Foo()|};                                           golden.txt:2:3: expected a statement (init, opset, meta, doc, a node) or '}' but found '='
      graph g () -> () {|  %a = Foo() {x=1, x=2}|};                            golden.txt:2:20: attribute x given twice
      graph g () -> () {|  init %w: float32[2] = base64"AAAA"|};               golden.txt:2:31: base64 data has 3 bytes but a float32[2] tensor needs 8
      graph g () -> () {} extra;                                                golden.txt:1:21: expected end of input after the graph but found 'extra'
      graph g () -> (%y: float32[2]) {|  %y: float32[3] = Foo()|};             golden.txt:1:20: graph output %y is declared float32[2] but defined as float32[3]
      graph g () -> () {|  %a = Foo() {f=nan:0x3f800000}|};                    golden.txt:2:17: nan:0x3f800000 is not a float NaN
      model g () -> () {};                                                      golden.txt:1:1: expected 'graph' but found 'model'
      """)
  void reportsLineColumnAndWhatWasExpected(String text, String message) {
    var e = assertThrows(InvalidModelException.class,
        () -> GraphParser.parse(text.replace('|', '\n'), "golden.txt"));
    assertEquals(message, e.getMessage());
  }
}

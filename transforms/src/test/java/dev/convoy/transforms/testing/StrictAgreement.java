package dev.convoy.transforms.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.OrtVerifier;
import java.util.Map;

/**
 * The frontend tests' check against a format's own runtime: every expected output agrees
 * elementwise within rtol 1e-4 / atol 1e-5, with no allowance for drift. Prints the errors.
 */
public final class StrictAgreement {
  private StrictAgreement() {}

  /** Each of {@code expected} (by output name) is in {@code actual} and agrees with it. */
  public static void assertAgrees(String what, Map<String, Tensor> expected,
      Map<String, Tensor> actual) {
    expected.forEach((name, want) -> {
      Tensor got = actual.get(name);
      assertTrue(got != null, what + ": no output " + name + " in " + actual.keySet());
      assertAgrees(what, name, want, got);
    });
  }

  /** {@code got} agrees with {@code want}. */
  public static void assertAgrees(String what, String name, Tensor want, Tensor got) {
    var c = OrtVerifier.compareTensors(name, want, got, OrtVerifier.Tolerance.DEFAULT);
    System.out.printf("%s %s: max abs %.3g, max rel %.3g%n", what, name, c.maxAbsError(),
        c.maxRelError());
    assertTrue(c.pass(), what + " " + name + ": max abs error " + c.maxAbsError()
        + ", max rel error " + c.maxRelError() + (c.problem() == null ? "" : ", " + c.problem()));
  }
}

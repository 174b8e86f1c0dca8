package dev.convoy.transforms.testing;

import dev.convoy.transforms.verify.OrtVerifier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One ONNX Runtime {@link OrtVerifier} per test class, the oracle of the tests that compare
 * Convoy's output with ORT's: opened before the class's first test, closed after its last.
 * Register it as {@code @RegisterExtension static final OrtFixture ORT = new OrtFixture();}.
 */
public final class OrtFixture implements BeforeAllCallback, AfterAllCallback {
  private OrtVerifier verifier;

  @Override
  public void beforeAll(ExtensionContext context) {
    verifier = new OrtVerifier();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    verifier.close();
    verifier = null;
  }

  /** The open verifier; only between the class's first and last test. */
  public OrtVerifier verifier() {
    if (verifier == null) {
      throw new IllegalStateException("OrtFixture is used outside its test class's lifetime");
    }
    return verifier;
  }
}

package dev.convoy.transforms.optimize;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.ops.OpCatalog;
import java.io.Serializable;

/**
 * What an optimized graph may contain. {@code ortOps} allows ONNX Runtime's {@code com.microsoft}
 * contrib ops (the user deploys on ONNX Runtime); {@code convoyOps} allows Convoy's own {@code
 * convoy} ops (the result is written as {@code .cvy}, whose ONNX export expands them again);
 * without either a fusion may only produce ops of the standard ONNX domains, so no vendor domain
 * appears unasked. {@code opset} is the default-domain opset the result is converted to before
 * the passes run, or 0 to keep the model's own.
 */
public record Target(boolean ortOps, boolean convoyOps, int opset) implements Serializable {
  /** Standard ONNX ops at the model's opset. */
  public static final Target STANDARD = new Target(false, false, 0);

  /** Convoy's engine format: {@code convoy} fused ops allowed, at the model's opset. */
  public static final Target CVY = new Target(false, true, 0);

  /** The domain of ONNX Runtime's contrib ops. */
  public static final String MICROSOFT = "com.microsoft";

  public Target {
    if (opset < 0) {
      throw new ConvoyException("target opset must be positive, got " + opset);
    }
  }

  /** An ONNX target: ONNX Runtime's ops allowed or not, at {@code opset} (0: the model's). */
  public Target(boolean ortOps, int opset) {
    this(ortOps, false, opset);
  }

  /** Whether a fusion may write ops beyond the standard domains (ONNX Runtime's or Convoy's). */
  public boolean allowsFusedOps() {
    return ortOps || convoyOps;
  }

  /**
   * The domain of a fused op beyond the standard ones: Convoy's own when its ops are allowed (a
   * {@code .cvy} runs them in the evaluator), ONNX Runtime's otherwise.
   */
  public String fusedDomain() {
    return convoyOps ? OpCatalog.CONVOY_DOMAIN : MICROSOFT;
  }

  /** Parses {@code --onnx-ops standard|ort}. */
  public static boolean parseOnnxOps(String text) {
    return switch (text) {
      case "standard" -> false;
      case "ort" -> true;
      default -> throw new ConvoyException(
          "--onnx-ops must be 'standard' or 'ort', got '" + text + "'");
    };
  }

  /** The same target with ONNX Runtime's contrib ops allowed or not. */
  public Target withOrtOps(boolean allowed) {
    return new Target(allowed, convoyOps, opset);
  }

  /** The same target with Convoy's own {@code convoy} ops allowed or not. */
  public Target withConvoyOps(boolean allowed) {
    return new Target(ortOps, allowed, opset);
  }

  /** The same target converted to default-domain opset {@code version} (0 keeps the model's). */
  public Target withOpset(int version) {
    return new Target(ortOps, convoyOps, version);
  }
}

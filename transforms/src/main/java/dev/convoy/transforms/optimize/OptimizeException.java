package dev.convoy.transforms.optimize;

import dev.convoy.ir.ConvoyException;

/**
 * Optimization went wrong in a way the user should see: an unknown rule or pass name, a pipeline
 * file that does not parse, a pipeline that does not settle, or (in verify-each-pass mode) a pass
 * or rule that broke the graph or changed its outputs. The message names the pass or rule.
 */
public class OptimizeException extends ConvoyException {
  public OptimizeException(String message) {
    super(message);
  }

  public OptimizeException(String message, Throwable cause) {
    super(message, cause);
  }
}

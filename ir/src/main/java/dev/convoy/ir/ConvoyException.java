package dev.convoy.ir;

/**
 * An error a user can cause: a malformed model, an unsupported op, a bad command-line value.
 * The message names the file, node or value and what is wrong; the CLI prints it (exit code 2)
 * instead of a stack trace. Subclasses refine the kind so callers and the warehouse can tell
 * them apart.
 */
public class ConvoyException extends RuntimeException {
  public ConvoyException(String message) {
    super(message);
  }

  public ConvoyException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.convoy.ir;

/** A model file or graph that is malformed: unparsable bytes, a cycle, an undefined value. */
public class InvalidModelException extends ConvoyException {
  public InvalidModelException(String message) {
    super(message);
  }

  public InvalidModelException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.convoy.ir;

/** An op (domain, type, opset) or element type that Convoy does not implement. */
public class UnsupportedOpException extends ConvoyException {
  public UnsupportedOpException(String message) {
    super(message);
  }
}

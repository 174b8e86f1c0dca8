package dev.convoy.ir.ops;

import dev.convoy.ir.InvalidModelException;

/** A provable contradiction found by type and shape inference, naming the node and values. */
public class ShapeInferenceException extends InvalidModelException {
  public ShapeInferenceException(String message) {
    super(message);
  }
}

package dev.convoy.transforms.optimize.opset;

import dev.convoy.ir.ConvoyException;

/**
 * A graph cannot be converted to the requested opset: an op that does not exist there, or a node
 * whose meaning the target version cannot express (a non-constant axes input going down to an
 * attribute, an attribute the older version lacks). The message names the node and the reason.
 */
public class OpsetConversionException extends ConvoyException {
  public OpsetConversionException(String message) {
    super(message);
  }
}

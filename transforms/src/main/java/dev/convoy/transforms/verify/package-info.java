/**
 * Numeric verification: {@link dev.convoy.transforms.verify.OrtVerifier} runs two ONNX models in
 * ONNX Runtime and compares their outputs, {@link dev.convoy.transforms.verify.SeededInputs} makes
 * deterministic inputs, {@link dev.convoy.transforms.verify.OracleArgs} reads the input shapes of
 * models with dynamic dimensions.
 */
package dev.convoy.transforms.verify;

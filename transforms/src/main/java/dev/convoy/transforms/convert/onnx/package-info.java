/**
 * ONNX import and export: {@link dev.convoy.transforms.convert.onnx.OnnxImporter} reads {@code
 * .onnx} files into the graph IR, {@link dev.convoy.transforms.convert.onnx.OnnxExporter} writes
 * them back, {@link dev.convoy.transforms.convert.onnx.OnnxTensors} converts single tensors and
 * {@code .pb} tensor files. The protobuf classes are {@code ai.onnx.proto.OnnxMl} from
 * tribuo-util-onnx.
 */
package dev.convoy.transforms.convert.onnx;

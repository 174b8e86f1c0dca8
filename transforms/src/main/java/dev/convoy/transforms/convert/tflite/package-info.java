/**
 * TFLite import: {@link dev.convoy.transforms.convert.tflite.TfliteImporter} reads {@code .tflite}
 * FlatBuffers (schema 3, identifier {@code TFL3}) into the graph IR with standard ONNX ops. The
 * file is memory-mapped and constant tensors are slices of the mapping. NHWC operators come in as
 * NCHW ops between explicit Transposes; quantized tensors come in as QuantizeLinear /
 * DequantizeLinear pairs around float ops (QDQ). The FlatBuffers classes are {@code
 * org.tensorflow.lite.schema} from tensorflow-lite-metadata.
 */
package dev.convoy.transforms.convert.tflite;

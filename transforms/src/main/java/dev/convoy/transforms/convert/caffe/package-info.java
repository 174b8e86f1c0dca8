/**
 * The Caffe frontend: {@code deploy.prototxt} plus {@code .caffemodel} into Convoy's graph IR.
 * Parser classes come from the SystemML artifact's generated {@code caffe.Caffe}; the layers
 * become standard ONNX ops.
 */
package dev.convoy.transforms.convert.caffe;

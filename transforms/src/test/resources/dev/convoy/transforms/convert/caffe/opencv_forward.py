"""Runs a Caffe net with OpenCV's dnn module: the oracle of CaffeOpenCvOracleTest.

usage: opencv_forward.py NET.prototxt NET.caffemodel DIR
DIR/inputs.txt: one line per input, "NAME FILE D0xD1x..." (FILE: raw little-endian float32).
DIR/layers.txt: one layer name per line, whose first output to fetch.
Writes DIR/out_K.bin (float32) and DIR/outputs.txt ("K D0xD1x..." per requested layer).
OpenCV's backend and CPU target, layer fusion off, one thread: the settings of the references
in testdata/models/caffe.
"""
import os
import sys

import cv2
import numpy as np


def main():
    prototxt, caffemodel, work = sys.argv[1:4]
    cv2.setNumThreads(1)
    net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    net.enableFusion(False)
    with open(os.path.join(work, "inputs.txt")) as f:
        for line in f:
            name, path, dims = line.split()
            shape = [int(d) for d in dims.split("x")]
            data = np.fromfile(os.path.join(work, path), dtype="<f4").reshape(shape)
            net.setInput(data, name)
    with open(os.path.join(work, "layers.txt")) as f:
        layers = [line.strip() for line in f if line.strip()]
    outs = net.forward(layers)
    with open(os.path.join(work, "outputs.txt"), "w") as f:
        for k, out in enumerate(outs):
            out = np.ascontiguousarray(out, dtype="<f4")
            out.tofile(os.path.join(work, "out_%d.bin" % k))
            f.write("%d %s\n" % (k, "x".join(str(d) for d in out.shape)))


if __name__ == "__main__":
    main()

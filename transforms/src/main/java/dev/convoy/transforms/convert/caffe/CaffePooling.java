package dev.convoy.transforms.convert.caffe;

/**
 * Caffe's pooling geometry along one spatial axis, expressed as an ONNX pooling window with
 * explicit pads and floor rounding, so that no reader has to agree with Caffe on ceil mode.
 *
 * <p>Caffe's output size is {@code ceil((in + 2 pad - kernel) / stride) + 1} (floor with
 * {@code round_mode: FLOOR}), less one when the padding is non-zero and the last window would
 * start inside the end padding. ONNX floor-mode pooling with pads {@code [pad, end]} gives the
 * same size when {@code end} is extended to cover the last window.
 */
record CaffePooling(long out, long padBegin, long padEnd, boolean overhang) {

  /**
   * The geometry of one axis. {@code overhang} says whether the last window reaches past
   * {@code in + 2 pad}, where Caffe's average divides by less than the full window.
   */
  static CaffePooling of(long in, long kernel, long stride, long pad, boolean roundDown) {
    if (kernel <= 0 || stride <= 0 || pad < 0) {
      throw new IllegalArgumentException("kernel " + kernel + ", stride " + stride + ", pad " + pad
          + ": kernel and stride must be positive and pad non-negative");
    }
    if (pad >= kernel) {
      throw new IllegalArgumentException(
          "pad " + pad + " is not smaller than the kernel " + kernel + ", which Caffe requires");
    }
    long span = in + 2 * pad - kernel;
    if (span < 0) {
      throw new IllegalArgumentException(
          "the kernel " + kernel + " is larger than the padded input " + (in + 2 * pad));
    }
    long out = (roundDown ? Math.floorDiv(span, stride) : -Math.floorDiv(-span, stride)) + 1;
    if (pad > 0 && (out - 1) * stride >= in + pad) {
      out--;
    }
    long end = Math.max(0, (out - 1) * stride + kernel - in - pad);
    if (end >= kernel) {
      // Only possible with stride > kernel and no padding: a last window wholly outside the
      // input, which Caffe fills with -FLT_MAX or divides by zero.
      throw new IllegalArgumentException("the last window (stride " + stride + ", kernel "
          + kernel + ") lies wholly outside the input of size " + in);
    }
    if (Math.floorDiv(in + pad + end - kernel, stride) + 1 != out) {
      throw new IllegalStateException("pooling geometry: no end pad gives " + out + " windows");
    }
    boolean overhang = (out - 1) * stride + kernel > in + 2 * pad;
    return new CaffePooling(out, pad, end, overhang);
  }
}

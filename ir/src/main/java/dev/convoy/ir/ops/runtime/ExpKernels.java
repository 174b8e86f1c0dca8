package dev.convoy.ir.ops.runtime;

/**
 * Float32 activations built on the exponential, the costliest element-wise kernels of CNNs with
 * SiLU (YOLO-style models spend more time in Sigmoid than in Conv), GELU through its error
 * function, and ReLU: in float32 within a few ulps (see {@link #sigmoidFloat}, {@link #gelu}),
 * without branches, on the Vector API where the JVM has it ({@link VectorExp}) and
 * in scalar loops otherwise. Input and output may be the same range (in place).
 */
public final class ExpKernels {
  private ExpKernels() {}

  /**
   * {@code o[io + i] = sigmoid(a[ia + i])} for i in {@code [0, n)}, in float32 within 2 ulps of
   * the double formula rounded ({@link #sigmoidFloat}).
   */
  public static void sigmoid(float[] a, int ia, float[] o, int io, int n) {
    int i = Blas.vectorized() ? VectorExp.sigmoid(a, ia, o, io, n, false) : 0;
    for (; i < n; i++) {
      o[io + i] = sigmoidFloat(a[ia + i]);
    }
  }

  /**
   * {@code o[io + i] = x * sigmoid(x)} with {@code x = a[ia + i]}: SiLU as the two unfused ops
   * compute it, the float32 sigmoid ({@link #sigmoidFloat}) times x, rounded.
   */
  public static void swish(float[] a, int ia, float[] o, int io, int n) {
    int i = Blas.vectorized() ? VectorExp.sigmoid(a, ia, o, io, n, true) : 0;
    for (; i < n; i++) {
      float x = a[ia + i];
      o[io + i] = x * sigmoidFloat(x);
    }
  }

  /**
   * The logistic function {@code 1 / (1 + exp(-x))} in float32, within 2 ulps of the double
   * formula rounded where that is a normal float (every third float checked; in the tail below
   * about -87.3, where it is subnormal, within 1e-38), without branches, so that {@link VectorExp} computes it lane
   * by lane with the same bits. {@code exp(t)}, {@code t = -x} clamped to [-80, 88] (outside it
   * the result rounds to 1, or is subnormal), is {@link #erfFloat}'s exponential: a degree-6
   * polynomial after reduction by a multiple of ln 2, the power of two put in the exponent bits;
   * then one division. Below -104 (where the exact value rounds to 0) the result is 0, so that
   * SiLU of -inf is NaN as Sigmoid then Mul give. NaN stays NaN. The double formula it replaces
   * (SVML's double exponential, 1 ns a value) was most of yolox_nano's SiLU convolutions' time.
   */
  public static float sigmoidFloat(float x) {
    float s = 1f / (expFloat(Math.min(Math.max(-x, SIGMOID_T_MIN), SIGMOID_T_MAX)) + 1f);
    return x < SIGMOID_ZERO_BELOW ? 0f : s;
  }

  /**
   * {@code exp(t)} in float32 for t within [-87, 88] (no subnormal or infinite power of two): t
   * reduced by the nearest multiple n of ln 2, a degree-6 polynomial of the rest, times 2^n put in
   * the exponent bits, with fused multiply-adds. {@link VectorExp} writes the same operations out
   * lane by lane in its loops.
   */
  static float expFloat(float t) {
    float k = Math.fma(t, LOG2E_F, ROUND_MAGIC);
    float nk = k - ROUND_MAGIC;
    float f = Math.fma(nk, MINUS_LN2_HI, t);
    f = Math.fma(nk, MINUS_LN2_LO, f);
    float y = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(EXP_0, f, EXP_1), f, EXP_2),
        f, EXP_3), f, EXP_4), f, 1f), f, 1f);
    return y * Float.intBitsToFloat((Float.floatToRawIntBits(k) - ROUND_MAGIC_BITS + 127) << 23);
  }

  /** Where {@code exp(t)} is below half an ulp of 1 (the sigmoid rounds to 1) with no subnormal. */
  static final float SIGMOID_T_MIN = -80f;
  /** The largest t whose {@code exp(t)} and power of two stay finite. */
  static final float SIGMOID_T_MAX = 88f;
  /** Below this the exact sigmoid is under half the smallest subnormal float. */
  static final float SIGMOID_ZERO_BELOW = -104f;

  /**
   * {@code o[io + i] = x < 0 ? 0 : x} with {@code x = a[ia + i]} (ONNX Runtime's ReLU: -0 and NaN
   * pass unchanged), as a compare and blend per vector where the JVM has the Vector API: the
   * scalar loop compiles to a branch per element, which mispredicts on real activations.
   */
  public static void relu(float[] a, int ia, float[] o, int io, int n) {
    int i = Blas.vectorized() ? VectorExp.relu(a, ia, o, io, n) : 0;
    for (; i < n; i++) {
      float x = a[ia + i];
      o[io + i] = x < 0f ? 0f : x;
    }
  }

  /**
   * The leading vectors of ONNX Runtime's Clip with a +0 lower bound (Relu6) and a non-NaN upper
   * bound {@code hi}: {@code min(max(x, 0), hi)}, with a -0 input kept as -0 when {@code hi >= 0}
   * (ONNX Runtime compares, so a -0 ties the bound and passes). Returns how many elements it
   * wrote; the caller's scalar loop finishes the rest (all of them without the Vector API).
   */
  public static int clipAtZero(float[] a, int ia, float[] o, int io, int n, float hi) {
    return Blas.vectorized() && !Float.isNaN(hi) ? VectorExp.clipAtZero(a, ia, o, io, n, hi) : 0;
  }

  /**
   * {@code o[io + i] = gelu(x)} with {@code x = a[ia + i]}: the exact GELU {@code 0.5 x (1 +
   * erf(x / sqrt 2))} in float32, as ONNX Runtime orders it: {@code (0.5 x) (erfFloat(x (1 /
   * sqrt 2)) + 1)}, within a few ulps of the value rounded once (absolutely within about {@code
   * |x| 2^-24} where {@code 1 + erf} cancels, far in the negative tail; -0 stays -0). The Vector
   * API loop and the scalar tail compute the same operations in the same order, so both give
   * the same bits.
   */
  public static void gelu(float[] a, int ia, float[] o, int io, int n) {
    int i = Blas.vectorized() && n >= GELU_VECTOR_MIN ? VectorExp.gelu(a, ia, o, io, n) : 0;
    for (; i < n; i++) {
      float x = a[ia + i];
      o[io + i] = (0.5f * x) * (erfFloat(x * FRAC_1_SQRT2) + 1f);
    }
  }

  /**
   * The shortest range {@link #gelu} takes through the Vector API. The vector code runs boxed
   * (many times slower than the scalar loop) until C2 compiles it, which a session-5 run on the
   * loaded machine saw 12 s in with rows of tiny_vit's FusedMatMul epilogue (256 values a call);
   * rows take the scalar twin, which gives the same bits. (A whole tensor per call was no faster
   * to compile: see {@link VectorExp#gelu}.)
   */
  static final int GELU_VECTOR_MIN = 4096;

  /** 1 / sqrt 2 rounded to float32. */
  static final float FRAC_1_SQRT2 = 0.70710678118654752f;

  /**
   * The error function in float32 within 1.01 ulps (every float checked), without
   * branches or division, so that {@link VectorExp} computes it lane by lane with the same bits:
   * for {@code |x| <= 0.921875} {@code x + x P(x^2)}, above it {@code 1 - exp(-Q(|x|))} with
   * |x| clamped at 3.925 (where erf rounds to 1), the sign restored last. P and Q are the
   * minimax polynomials (by Norbert Juffa's published fit, the coefficients ONNX Runtime's MLAS
   * uses); the exponential is a degree-6 polynomial after reduction by a multiple of ln 2.
   * Every multiply-add is fused ({@link Math#fma}), as the vector path's are.
   */
  public static float erfFloat(float x) {
    float ax = Math.abs(x);
    float s = ax * ax;
    float small = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(ERF_S0, s, ERF_S1), s, ERF_S2),
        s, ERF_S3), s, ERF_S4), s, ERF_S5);
    small = Math.fma(small, ax, ax);
    float c = Math.min(ax, ERF_CLAMP);
    float q = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(ERF_B0, c, ERF_B1), c,
        ERF_B2), c, ERF_B3), c, ERF_B4), c, ERF_B5), c, ERF_B6);
    float big = 1f - expFloat(-Math.fma(q, c, c));
    return Math.copySign(ax > ERF_SPLIT ? big : small, x);
  }

  static final float ERF_SPLIT = 0.921875f;
  static final float ERF_CLAMP = 3.925f;
  static final float ERF_S0 = -5.99104969e-4f;
  static final float ERF_S1 = 4.99339588e-3f;
  static final float ERF_S2 = -2.67667342e-2f;
  static final float ERF_S3 = 1.12818025e-1f;
  static final float ERF_S4 = -3.76124859e-1f;
  static final float ERF_S5 = 1.28379151e-1f;
  static final float ERF_B0 = 1.72948930e-5f;
  static final float ERF_B1 = -3.83208680e-4f;
  static final float ERF_B2 = 3.88393435e-3f;
  static final float ERF_B3 = -2.42545605e-2f;
  static final float ERF_B4 = 1.06777847e-1f;
  static final float ERF_B5 = 6.34846687e-1f;
  static final float ERF_B6 = 1.28717512e-1f;
  static final float LOG2E_F = 1.44269504088896341f;
  /** 1.5 * 2^23: {@code fma(t, log2 e, ROUND_MAGIC) - ROUND_MAGIC} is t / ln 2 rounded. */
  static final float ROUND_MAGIC = 12582912f;
  static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
  static final float MINUS_LN2_HI = -6.93145752e-1f;
  static final float MINUS_LN2_LO = -1.42860677e-6f;
  static final float EXP_0 = 1.38319808e-3f;
  static final float EXP_1 = 8.37550033e-3f;
  static final float EXP_2 = 4.16689515e-2f;
  static final float EXP_3 = 1.66664466e-1f;
  static final float EXP_4 = 4.99999851e-1f;

  /**
   * The error function in double to within an ulp or two, by the rational approximations of
   * Sun's fdlibm ({@code s_erf.c}: coefficients for erf on [0, 0.84375] and [0.84375, 1.25], and
   * for erfc through {@code exp(-x^2 - 0.5625 + R/S) / x} on [1.25, 1/0.35] and [1/0.35, 6]);
   * about twenty operations and two exponentials instead of the term-by-term Taylor series,
   * which took up to a hundred divisions per value.
   */
  public static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double ax = Math.abs(x);
    if (ax < 0.84375) {
      if (ax < 0x1p-28) {
        return x + EFX * x;
      }
      double z = x * x;
      double r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
      double s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
      return x + x * (r / s);
    }
    if (ax < 1.25) {
      double s = ax - 1;
      double p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
      double q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
      return Math.copySign(ERX + p / q, x);
    }
    if (ax >= 6) {
      return Math.copySign(1.0, x);
    }
    double s = 1 / (ax * ax);
    double r;
    double q;
    if (ax < 1 / 0.35) {
      r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
      q = 1 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7
          + s * SA8)))))));
    } else {
      r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
      q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
    }
    // exp(-x^2) as exp(-z^2) exp((z - x)(z + x)) with z = x cut to 20 bits, so that z^2 is
    // exact and the large exponent loses nothing.
    double z = Double.longBitsToDouble(Double.doubleToRawLongBits(ax) & 0xffffffff00000000L);
    double e = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + r / q);
    return Math.copySign(1 - e / ax, x);
  }

  private static final double EFX = 1.28379167095512586316e-01;
  private static final double ERX = 8.45062911510467529297e-01;
  private static final double PP0 = 1.28379167095512558561e-01;
  private static final double PP1 = -3.25042107247001499370e-01;
  private static final double PP2 = -2.84817495755985104766e-02;
  private static final double PP3 = -5.77027029648944159157e-03;
  private static final double PP4 = -2.37630166566501626084e-05;
  private static final double QQ1 = 3.97917223959155352819e-01;
  private static final double QQ2 = 6.50222499887672944485e-02;
  private static final double QQ3 = 5.08130628187576562776e-03;
  private static final double QQ4 = 1.32494738004321644526e-04;
  private static final double QQ5 = -3.96022827877536812320e-06;
  private static final double PA0 = -2.36211856075265944077e-03;
  private static final double PA1 = 4.14856118683748331666e-01;
  private static final double PA2 = -3.72207876035701323847e-01;
  private static final double PA3 = 3.18346619901161753674e-01;
  private static final double PA4 = -1.10894694282396677476e-01;
  private static final double PA5 = 3.54783043256182359371e-02;
  private static final double PA6 = -2.16637559486879084300e-03;
  private static final double QA1 = 1.06420880400844228286e-01;
  private static final double QA2 = 5.40397917702171048937e-01;
  private static final double QA3 = 7.18286544141962662868e-02;
  private static final double QA4 = 1.26171219808761642112e-01;
  private static final double QA5 = 1.36370839120290507362e-02;
  private static final double QA6 = 1.19844998467991074170e-02;
  private static final double RA0 = -9.86494403484714822705e-03;
  private static final double RA1 = -6.93858572707181764372e-01;
  private static final double RA2 = -1.05586262253232909814e+01;
  private static final double RA3 = -6.23753324503260060396e+01;
  private static final double RA4 = -1.62396669462573470355e+02;
  private static final double RA5 = -1.84605092906711035994e+02;
  private static final double RA6 = -8.12874355063065934246e+01;
  private static final double RA7 = -9.81432934416914548592e+00;
  private static final double SA1 = 1.96512716674392571292e+01;
  private static final double SA2 = 1.37657754143519042600e+02;
  private static final double SA3 = 4.34565877475229228821e+02;
  private static final double SA4 = 6.45387271733267880336e+02;
  private static final double SA5 = 4.29008140027567833386e+02;
  private static final double SA6 = 1.08635005541779435134e+02;
  private static final double SA7 = 6.57024977031928170135e+00;
  private static final double SA8 = -6.04244152148580987438e-02;
  private static final double RB0 = -9.86494292470009928597e-03;
  private static final double RB1 = -7.99283237680523006574e-01;
  private static final double RB2 = -1.77579549177547519889e+01;
  private static final double RB3 = -1.60636384855821916062e+02;
  private static final double RB4 = -6.37566443368389627722e+02;
  private static final double RB5 = -1.02509513161107724954e+03;
  private static final double RB6 = -4.83519191608651397019e+02;
  private static final double SB1 = 3.03380607434824582924e+01;
  private static final double SB2 = 3.25792512996573918826e+02;
  private static final double SB3 = 1.53672958608443695994e+03;
  private static final double SB4 = 3.19985821950859553908e+03;
  private static final double SB5 = 2.55305040643316442583e+03;
  private static final double SB6 = 4.74528541206955367215e+02;
  private static final double SB7 = -2.24409524465858183362e+01;
}

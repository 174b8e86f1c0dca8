package dev.convoy.transforms.differential;

/**
 * Recurrent and control-flow blocks over an [N, S, D] value: LSTM and GRU (forward, reverse or
 * bidirectional, with or without biases and zero initial states) and If / Loop whose subgraphs
 * capture outer values, with a condition that is a constant (foldable) or computed from the input.
 */
final class ControlBlocks extends Blocks {
  ControlBlocks(ModelText m, String floatType) {
    super(m, floatType);
  }

  V recurrent(V x) {
    long n = x.dim(0);
    long s = x.dim(1);
    long d = x.dim(2);
    long h = oneOf(3L, 4L);
    boolean lstm = chance(0.5);
    long gates = lstm ? 4 : 3;
    String dir = oneOf("forward", "forward", "reverse", "bidirectional");
    long dirs = dir.equals("bidirectional") ? 2 : 1;
    String seq = m.node("Transpose", "perm=[1, 0, 2]", x.name());
    String w = weights("W", dims(dirs, gates * h, d), -0.5, 0.5);
    String r = weights("R", dims(dirs, gates * h, h), -0.5, 0.5);
    String b = chance(0.7) ? weights("B", dims(dirs, 2 * gates * h), -0.3, 0.3) : "";
    String h0 = "";
    if (!m.dynamic() && chance(0.4)) {
      h0 = m.node("Expand", "", scalarT("zero", 0), m.ints("shape", dirs, n, h));
    }
    String attrs = "hidden_size=" + h + ", direction=\"" + dir + "\"";
    if (!lstm && chance(0.5)) {
      attrs += ", linear_before_reset=1";
    }
    String[] outs = lstm
        ? m.nodeN("LSTM", attrs, 3, seq, w, r, b, "", h0)
        : m.nodeN("GRU", attrs, 2, seq, w, r, b, "", h0);
    if (chance(0.3)) {
      m.output(outs[1]);
    }
    // Y: [S, dirs, N, H] -> [N, S, dirs * H]
    String y = m.node("Transpose", "perm=[2, 0, 1, 3]", outs[0]);
    y = m.node("Reshape", "", y, m.ints("shape", 0, s, dirs * h));
    return new V(y, dims(n, s, dirs * h));
  }

  /** An If on a constant or computed condition; both branches read x from the outer graph. */
  V branch(V x) {
    String cond;
    if (chance(0.4)) {
      cond = m.init("cond", "bool", dims(), chance(0.5) ? "true" : "false");
    } else {
      String sum = reduce("ReduceSum", x.name(), dims(0, 1, 2), false);
      cond = m.node("Greater", "", sum, scalarT("zero", 0));
    }
    String k = scalarT("k", 1.5);
    String out = m.fresh("if");
    String thenOut = m.fresh("then");
    String elseOut = m.fresh("else");
    m.raw("%" + out + " = If(%" + cond + ") {\n"
        + "    then_branch=graph then_" + out + " () -> (%" + thenOut + ") {\n"
        + "      %" + thenOut + " = Mul(%" + x.name() + ", %" + k + ")\n"
        + "    },\n"
        + "    else_branch=graph else_" + out + " () -> (%" + elseOut + ") {\n"
        + "      %" + elseOut + " = Relu(%" + x.name() + ")\n"
        + "    }\n"
        + "  }");
    return new V(out, x.dims());
  }

  /** A Loop of a constant trip count that accumulates acc * k + x. */
  V loop(V x) {
    String trip = m.init("trip", "int64", dims(), Integer.toString(1 + pick(3)));
    String cond = m.init("cond", "bool", dims(), "true");
    String k = scalarT("k", 0.5);
    String out = m.fresh("loop");
    String i = m.fresh("i");
    String c = m.fresh("c");
    String acc = m.fresh("acc");
    String c2 = m.fresh("c2");
    String acc2 = m.fresh("acc2");
    String tmp = m.fresh("t");
    m.raw("%" + out + " = Loop(%" + trip + ", %" + cond + ", %" + x.name() + ") {\n"
        + "    body=graph body_" + out + " (%" + i + ": int64[], %" + c + ": bool[], %" + acc
        + ") -> (%" + c2 + ", %" + acc2 + ") {\n"
        + "      %" + c2 + " = Identity(%" + c + ")\n"
        + "      %" + tmp + " = Mul(%" + acc + ", %" + k + ")\n"
        + "      %" + acc2 + " = Add(%" + tmp + ", %" + x.name() + ")\n"
        + "    }\n"
        + "  }");
    return new V(out, x.dims());
  }
}

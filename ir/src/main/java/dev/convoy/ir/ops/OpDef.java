package dev.convoy.ir.ops;

import dev.convoy.ir.graph.Attribute;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One catalog entry: an op (domain, type) as defined from opset {@code sinceVersion} until the
 * next entry of the same op. It states the input and output arity, the attributes with their
 * defaults, the type and shape inference and the reference kernel. Families build entries with
 * {@link OpRegistrar#op}.
 *
 * @param deterministic false for random ops, which constant folding must never evaluate
 */
public record OpDef(
    String domain,
    String opType,
    int sinceVersion,
    int minInputs,
    int maxInputs,
    int minOutputs,
    int maxOutputs,
    Map<String, AttrSpec> attributes,
    ShapeFn shapeFn,
    Kernel kernel,
    boolean deterministic) {

  public OpDef {
    attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
  }

  /** The attribute spec named {@code name}, or {@code null} when the op has no such attribute. */
  public AttrSpec attribute(String name) {
    return attributes.get(name);
  }

  /** {@code Relu@14} or {@code com.microsoft::Gelu@1}. */
  public String id() {
    return (domain.isEmpty() ? "" : domain + "::") + opType + "@" + sinceVersion;
  }

  @Override
  public String toString() {
    return id();
  }

  /** Collects an entry's parts; families get one from {@link OpRegistrar#op}. */
  public static final class Builder {
    private final String domain;
    private final String opType;
    private final int since;
    private int minInputs = 1;
    private int maxInputs = 1;
    private int minOutputs = 1;
    private int maxOutputs = 1;
    private final Map<String, AttrSpec> attrs = new LinkedHashMap<>();
    private ShapeFn shapeFn;
    private Kernel kernel;
    private boolean deterministic = true;

    Builder(String domain, String opType, int since) {
      this.domain = domain;
      this.opType = opType;
      this.since = since;
    }

    /** Exactly {@code n} inputs. */
    public Builder inputs(int n) {
      return inputs(n, n);
    }

    /** Between {@code min} and {@code max} inputs (trailing optional inputs may be omitted). */
    public Builder inputs(int min, int max) {
      this.minInputs = min;
      this.maxInputs = max;
      return this;
    }

    /** At least {@code min} inputs, any number more. */
    public Builder variadicInputs(int min) {
      return inputs(min, Integer.MAX_VALUE);
    }

    public Builder outputs(int n) {
      return outputs(n, n);
    }

    public Builder outputs(int min, int max) {
      this.minOutputs = min;
      this.maxOutputs = max;
      return this;
    }

    public Builder attr(String name, long defaultValue) {
      return attr(name, new Attribute.IntAttr(defaultValue));
    }

    public Builder attr(String name, float defaultValue) {
      return attr(name, new Attribute.FloatAttr(defaultValue));
    }

    public Builder attr(String name, String defaultValue) {
      return attr(name, Attribute.StringAttr.of(defaultValue));
    }

    public Builder attr(String name, long[] defaultValue) {
      return attr(name, new Attribute.IntsAttr(defaultValue));
    }

    public Builder attr(String name, Attribute defaultValue) {
      attrs.put(name, new AttrSpec(name, Objects.requireNonNull(defaultValue), false));
      return this;
    }

    /** An attribute with no default: readers get {@code null} or their own fallback. */
    public Builder optionalAttr(String name) {
      attrs.put(name, new AttrSpec(name, null, false));
      return this;
    }

    /** An attribute every node must set. */
    public Builder requiredAttr(String name) {
      attrs.put(name, new AttrSpec(name, null, true));
      return this;
    }

    public Builder shape(ShapeFn fn) {
      this.shapeFn = fn;
      return this;
    }

    public Builder kernel(Kernel k) {
      this.kernel = k;
      return this;
    }

    /** Marks a random op: never constant-folded, never compared against a fixed answer. */
    public Builder nondeterministic() {
      this.deterministic = false;
      return this;
    }

    OpDef build() {
      if (kernel == null) {
        throw new IllegalStateException(opType + "@" + since + " has no kernel");
      }
      return new OpDef(
          domain, opType, since, minInputs, maxInputs, minOutputs, maxOutputs, attrs,
          shapeFn, kernel, deterministic);
    }
  }
}

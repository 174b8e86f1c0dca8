package dev.convoy.pipeline.element;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;

/**
 * An explicit coder for the pipeline's small record elements: the record as JSON bytes (Jackson
 * handles records natively). Elements never hold tensors, so the encoding stays small; JSON keeps
 * it readable in runner logs and independent of Java serialization.
 */
public final class JsonCoder<T> extends CustomCoder<T> {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Class<T> type;

  private JsonCoder(Class<T> type) {
    this.type = type;
  }

  public static <T> JsonCoder<T> of(Class<T> type) {
    return new JsonCoder<>(type);
  }

  @Override
  public void encode(T value, OutputStream out) throws IOException {
    ByteArrayCoder.of().encode(MAPPER.writeValueAsBytes(value), out);
  }

  @Override
  public T decode(InputStream in) throws IOException {
    return MAPPER.readValue(ByteArrayCoder.of().decode(in), type);
  }

  @Override
  public List<? extends Coder<?>> getCoderArguments() {
    return List.of();
  }

  @Override
  public void verifyDeterministic() throws NonDeterministicException {
    throw new NonDeterministicException(this, "JSON field order is not a stable key encoding");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JsonCoder<?> c && c.type.equals(type);
  }

  @Override
  public int hashCode() {
    return type.hashCode();
  }

  /** The shared mapper, for writing report JSON in the same form. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }
}

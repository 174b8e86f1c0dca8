package dev.convoy.transforms.convert;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reading one binary protobuf message from a model file, every failure naming the file. */
public final class ProtoFiles {
  private ProtoFiles() {}

  /**
   * Parses {@code file} (memory-mapped, up to protobuf's 2 GiB) with {@code parser};
   * {@code kind} names what the file should be in errors ("caffemodel", "TensorFlow GraphDef").
   */
  public static <T> T read(Path file, Parser<T> parser, String kind) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new InvalidModelException(file + ": " + size
            + " bytes, larger than the 2 GiB a protobuf message can hold");
      }
      CodedInputStream in = CodedInputStream.newInstance(
          ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
      in.setSizeLimit(Integer.MAX_VALUE);
      return parser.parseFrom(in);
    } catch (NoSuchFileException e) {
      throw new ConvoyException(file + ": no such file");
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidModelException(
          file + ": not a valid " + kind + " (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }
}

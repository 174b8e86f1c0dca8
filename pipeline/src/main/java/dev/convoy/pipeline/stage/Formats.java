package dev.convoy.pipeline.stage;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Graph;
import java.nio.file.Path;

/** Reading and writing Convoy's own {@code .cvy} format from the stages. */
final class Formats {
  private Formats() {}

  static Graph readCvy(Path path) {
    throw new UnsupportedOpException(path + ": reading .cvy models is not available in this build");
  }

  static byte[] writeCvy(Graph g) {
    throw new UnsupportedOpException("writing .cvy artifacts is not available in this build");
  }
}

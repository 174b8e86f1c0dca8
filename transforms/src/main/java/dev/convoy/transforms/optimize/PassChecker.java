package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;

final class PassChecker {
  PassChecker(Graph original, OptimizeOptions options) {}

  void afterRewrite(Graph g, String rule) {}

  void afterPass(Graph g, String pass) {}
}

package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Node;
import java.io.File;
import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PassRegistryTest {

  /** A rule that must never be built: its name is read from its constant. */
  public static final class NeverBuilt implements Rule {
    public static final String NAME = "never-built";

    public NeverBuilt() {
      throw new AssertionError("constructed");
    }

    @Override
    public String name() {
      return NAME;
    }

    @Override
    public Pattern pattern() {
      return Pattern.anyOp();
    }

    @Override
    public boolean matches(Node n, Rewriter rw) {
      return false;
    }

    @Override
    public void rewrite(Node n, Rewriter rw) {}
  }

  /** A service rule that hides its name in the instance. */
  public static final class Unnamed implements Rule {
    @Override
    public String name() {
      return "unnamed";
    }

    @Override
    public Pattern pattern() {
      return Pattern.anyOp();
    }

    @Override
    public boolean matches(Node n, Rewriter rw) {
      return false;
    }

    @Override
    public void rewrite(Node n, Rewriter rw) {}
  }

  @Test
  void readsAServiceRuleNameWithoutBuildingTheRule() {
    assertEquals("never-built", PassRegistry.nameOf(NeverBuilt.class));
  }

  @Test
  void refusesAServiceRuleWithoutANameConstant() {
    var e = assertThrows(IllegalStateException.class, () -> PassRegistry.nameOf(Unnamed.class));
    assertTrue(e.getMessage().contains("public static final String NAME"), e.getMessage());
  }

  @Test
  void everyNameBuildsTheRuleOrPassThatAnswersToIt() {
    for (String name : PassRegistry.ruleNames()) {
      assertEquals(name, PassRegistry.rule(name).name());
    }
    for (String name : PassRegistry.passNames()) {
      assertEquals(name, PassRegistry.pass(name).name());
    }
  }

  /**
   * Listing and checking names in a fresh class loader (so nothing else in this JVM has built the
   * catalog yet) leaves the standard op catalog unbuilt: fold-constants, which holds an evaluator
   * over it, was not instantiated to learn its name.
   */
  @Test
  void listingNamesBuildsNoRuleAndNoCatalog() throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      urls.add(Path.of(entry).toUri().toURL());
    }
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (var fresh = new URLClassLoader(urls.toArray(new URL[0]),
        ClassLoader.getPlatformClassLoader())) {
      Thread.currentThread().setContextClassLoader(fresh);
      Class<?> registry = fresh.loadClass(PassRegistry.class.getName());
      assertTrue(registry != PassRegistry.class, "the registry is a fresh copy");
      @SuppressWarnings("unchecked")
      Set<String> names = (Set<String>) registry.getMethod("ruleNames").invoke(null);
      assertTrue(names.contains("fold-constants"), names.toString());
      registry.getMethod("requireKnown", String.class, String.class)
          .invoke(null, "fold-constants", "test");
      Field standard = fresh.loadClass("dev.convoy.ir.ops.OpCatalog").getDeclaredField("standard");
      standard.setAccessible(true);
      assertNull(standard.get(null), "listing rule names built the op catalog");
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }
}

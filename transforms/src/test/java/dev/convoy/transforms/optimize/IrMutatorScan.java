package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Finds, in compiled classes, the calls to the IR's public mutators: every public instance method
 * of {@link Graph}, {@link Node} and {@link Value} whose name says it changes something (set, add,
 * remove, move, reorder, replace, rename, adopt, append, clear), also when taken as a method
 * reference, and mutations of the maps {@link Graph#opsets()} and {@link Graph#metadata()} hand
 * out. Each finding names the source file, line and method called.
 */
final class IrMutatorScan {
  private static final Pattern MUTATOR =
      Pattern.compile("(set|add|remove|move|reorder|replace|adopt|append|clear)[A-Z].*|rename");
  private static final Set<String> MAP_GETTERS = Set.of("opsets", "metadata");
  private static final Set<String> MAP_MUTATORS = Set.of("put", "putIfAbsent", "putAll", "remove",
      "clear", "compute", "computeIfAbsent", "computeIfPresent", "merge", "replace", "replaceAll");

  private final Set<String> mutators = new TreeSet<>();

  IrMutatorScan() {
    for (Class<?> c : List.of(Graph.class, Node.class, Value.class)) {
      for (Method m : c.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
            && MUTATOR.matcher(m.getName()).matches()) {
          mutators.add(Type.getInternalName(c) + "." + m.getName());
        }
      }
    }
  }

  /** The mutators found by reflection, as {@code owner.name} with the owner's internal name. */
  Set<String> mutators() {
    return mutators;
  }

  /** Findings in every class file under {@code root} whose path does not match {@code allowed}. */
  List<String> scan(Path root, Pattern allowed) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
        String rel = root.relativize(f).toString().replace('\\', '/');
        if (!allowed.matcher(rel).matches()) {
          try (InputStream in = Files.newInputStream(f)) {
            found.addAll(scan(in));
          }
        }
      }
    }
    return found;
  }

  /** Findings in one class file. */
  List<String> scan(InputStream classFile) throws IOException {
    List<String> found = new ArrayList<>();
    ClassReader reader = new ClassReader(classFile);
    String pkg = reader.getClassName().substring(0, reader.getClassName().lastIndexOf('/') + 1);
    reader.accept(new ClassVisitor(Opcodes.ASM9) {
      private String source = reader.getClassName() + ".class";

      @Override
      public void visitSource(String file, String debug) {
        if (file != null) {
          source = pkg + file;
        }
      }

      @Override
      public MethodVisitor visitMethod(
          int access, String name, String desc, String sig, String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          private int line;
          private String pendingMap;

          @Override
          public void visitLineNumber(int l, Label start) {
            line = l;
          }

          @Override
          public void visitMethodInsn(
              int opcode, String owner, String mname, String mdesc, boolean itf) {
            if (pendingMap != null && owner.equals("java/util/Map")
                && MAP_MUTATORS.contains(mname)) {
              report(owner.replace('/', '.') + "." + mname + " on " + pendingMap);
            }
            boolean boxing = owner.startsWith("java/lang/") && mname.equals("valueOf");
            if (!boxing) {
              pendingMap = owner.equals(Type.getInternalName(Graph.class))
                  && MAP_GETTERS.contains(mname) ? "Graph." + mname + "()" : null;
            }
            check(owner, mname);
          }

          @Override
          public void visitInvokeDynamicInsn(String n, String d, Handle bsm, Object... args) {
            for (Object a : args) {
              if (a instanceof Handle h) {
                check(h.getOwner(), h.getName());
              }
            }
          }

          private void check(String owner, String mname) {
            if (mutators.contains(owner + "." + mname)) {
              report(owner.substring(owner.lastIndexOf('/') + 1) + "." + mname);
            }
          }

          private void report(String call) {
            found.add(source + ":" + line + " calls " + call);
          }
        };
      }
    }, 0);
    return found;
  }
}

package dev.dllm.trainer.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Build rule for issue 7 §1: on the autograd path (the trainer's sources and every family's {@code
 * .train} package), no NDArray operation whose operand autograd keeps for backward (mul, div, pow,
 * maximum, minimum, mod and their in-place / reversed forms) may take a Java number: DJL turns it
 * into a temporary array that is freed before backward. Use {@code DitModel#constant} or {@code
 * Backbone#constant}. A line (or the line above it) may carry {@code autograd-safe: <reason>} when
 * the operand provably carries no gradient or the code runs outside the gradient recorder.
 */
class AutogradScalarCheckTest {
  private static final Pattern CALL =
      Pattern.compile(
          "\\.(mul|muli|div|divi|pow|powi|rdiv|rdivi|rpow|rpowi|maximum|minimum|mod|modi|rmod"
              + "|rmodi)\\(\\s*([^)]*)\\)?");
  private static final Pattern NUMBER_LITERAL =
      Pattern.compile("^-?\\(?\\s*-?(\\d[\\d_]*\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?[fFdDlL]?\\b.*");
  private static final Pattern CAST = Pattern.compile("^\\(\\s*(float|double|int|long|short)\\b.*");
  private static final Pattern CONSTANT = Pattern.compile("^[A-Z][A-Z0-9_]*$");
  private static final Pattern BOXED = Pattern.compile("^(Float|Double|Integer|Long|Math)\\..*");

  /** The offending lines of one source text, as {@code "line N: text"}. */
  static List<String> violations(String source) {
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String trimmed = line.trim();
      if (trimmed.startsWith("*") || trimmed.startsWith("//") || trimmed.startsWith("/*")) {
        continue;
      }
      if (line.contains("autograd-safe:") || (i > 0 && lines[i - 1].contains("autograd-safe:"))) {
        continue;
      }
      Matcher m = CALL.matcher(line);
      while (m.find()) {
        String arg = m.group(2).trim();
        if (isJavaNumber(arg, source)) {
          out.add("line " + (i + 1) + ": " + line.trim());
        }
      }
    }
    return out;
  }

  private static boolean isJavaNumber(String arg, String source) {
    if (arg.isEmpty()) {
      return false;
    }
    if (NUMBER_LITERAL.matcher(arg).matches()
        || CAST.matcher(arg).matches()
        || CONSTANT.matcher(arg).matches()
        || BOXED.matcher(arg).matches()) {
      return true;
    }
    if (arg.matches("[a-z][A-Za-z0-9_]*")) {
      // a local or field declared with a primitive numeric type in the same file
      return Pattern.compile(
              "\\b(float|double|int|long|short|Number|Float|Double|Integer|Long)\\s+"
                  + Pattern.quote(arg)
                  + "\\b")
          .matcher(source)
          .find();
    }
    return false;
  }

  /**
   * The checked sources: trainer (except the optimizer, which runs outside autograd) and .train.
   */
  private static List<Path> autogradSources() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root.resolve("trainer/src/main/java"))) {
      s.filter(p -> p.toString().endsWith(".java"))
          .filter(p -> !p.toString().contains("/optim/"))
          .forEach(files::add);
    }
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module :
          modules.filter(p -> p.getFileName().toString().startsWith("family-")).toList()) {
        Path src = module.resolve("src/main/java");
        if (!Files.isDirectory(src)) {
          continue;
        }
        try (Stream<Path> s = Files.walk(src)) {
          s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/train/"))
              .forEach(files::add);
        }
      }
    }
    return files;
  }

  @Test
  void noNumberOperandOnTheAutogradPath() throws IOException {
    List<Path> files = autogradSources();
    assertTrue(files.size() > 10, "found only " + files.size() + " sources to check");
    List<String> all = new ArrayList<>();
    for (Path f : files) {
      try {
        for (String v : violations(Files.readString(f))) {
          all.add(f.getFileName() + " " + v);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    assertEquals(
        List.of(),
        all,
        "use DitModel#constant / Backbone#constant instead of a Java number (issue 7 §1)");
  }

  @Test
  void ruleFlagsEachUnsafeForm() {
    String src =
        "class X { private final int accumulation; static final float GELU_A = 1f;\n"
            + "a.muli(GELU_A);\n"
            + "a.div((float) (b * l));\n"
            + "a.div(accumulation);\n"
            + "a.mul(1e-4f);\n"
            + "a.pow(-1);\n"
            + "a.mul(Float.NaN);\n"
            + "a.mul(other);\n"
            + "a.div(net.constant(2));\n"
            + "a.add(1f);\n"
            + "// autograd-safe: t has no gradient\n"
            + "t.pow(-1);\n}";
    List<String> v = violations(src);
    assertEquals(6, v.size(), v.toString());
    assertTrue(v.get(0).startsWith("line 2:"), v.toString());
    assertTrue(v.get(5).startsWith("line 7:"), v.toString());
  }
}

package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.FamilyRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Build rule for issue 22: the modules every family goes through ({@code cli}, {@code eval}, {@code
 * trainer}, {@code exporter}, {@code runtime-onnx}) name no family in their main sources: no {@code
 * dev.dllm.family.*} import or qualified name, and no comparison of a registered family name with a
 * string literal ({@code "duo".equals(x)}, {@code x.equals("mdlm")}, {@code Objects.equals(x,
 * "ar")}, {@code case "esolm"}, {@code == "duo"}, {@code names().contains("esolm")}). A family's
 * behaviour is reached through the SPI instead (its capabilities: {@code
 * TrainingObjective#distillation()}, {@code DiffusionFamily#stepSplit()}, {@code SpeedComparison},
 * {@code FamilyCommand}, the backbone's attention). A family name as data (the demo's recipes, a
 * documented default) is allowed. Comments and Javadoc are not checked.
 */
class FamilyNeutralityCheckTest {
  static final List<String> MODULES = List.of("cli", "eval", "trainer", "exporter", "runtime-onnx");

  /** The offending lines of one source, as {@code "line N: text"}, for the given family names. */
  static List<String> violations(String source, Collection<String> families) {
    String names = families.stream().map(Pattern::quote).collect(Collectors.joining("|"));
    String lit = "\"(?:" + names + ")\"";
    List<Pattern> rules =
        List.of(
            Pattern.compile("\\bdev\\.dllm\\.family\\."),
            Pattern.compile(lit + "\\s*\\.\\s*(?:equals|equalsIgnoreCase|compareTo)\\s*\\("),
            Pattern.compile("\\b(?:equals|equalsIgnoreCase|compareTo)\\s*\\([^;]*?" + lit),
            Pattern.compile("\\bcase\\s+(?:[^:;]*,\\s*)?" + lit),
            Pattern.compile("[=!]=\\s*" + lit + "|" + lit + "\\s*[=!]="),
            Pattern.compile("\\bnames\\(\\)\\s*\\.\\s*contains\\s*\\(\\s*" + lit));
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String code = lines[i].replaceAll("//.*$", "");
      String trimmed = code.trim();
      if (trimmed.startsWith("*") || trimmed.startsWith("/*")) {
        continue;
      }
      for (Pattern p : rules) {
        if (p.matcher(code).find()) {
          out.add("line " + (i + 1) + ": " + trimmed);
          break;
        }
      }
    }
    return out;
  }

  private static List<Path> sources() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<Path> files = new ArrayList<>();
    for (String module : MODULES) {
      try (Stream<Path> s = Files.walk(root.resolve(module).resolve("src/main/java"))) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
      }
    }
    return files;
  }

  @Test
  void noModuleEveryFamilyGoesThroughNamesAFamily() throws IOException {
    Collection<String> families = FamilyRegistry.load().names();
    assertTrue(families.containsAll(List.of("ar", "duo", "esolm", "mdlm")), "" + families);
    List<Path> files = sources();
    assertTrue(files.size() > 100, "found only " + files.size() + " sources to check");
    List<String> all = new ArrayList<>();
    for (Path f : files) {
      for (String v : violations(Files.readString(f), families)) {
        all.add(f.getFileName() + " " + v);
      }
    }
    assertEquals(
        List.of(),
        all,
        "reach the family through the SPI (FamilyRegistry, TrainingObjective, FamilyCommand,"
            + " SpeedComparison) instead of naming it (issue 22)");
  }

  @Test
  void ruleFlagsEachFormAndLetsDataAndCommentsThrough() {
    List<String> families = List.of("ar", "duo", "esolm", "mdlm");
    String src =
        "import dev.dllm.family.duo.GaussianDuality;\n"
            + "if (\"duo\".equals(name)) {}\n"
            + "if (name.equals(\"mdlm\")) {}\n"
            + "if (p.path(\"family\").asText().equalsIgnoreCase(\"ar\")) {}\n"
            + "if (java.util.Objects.equals(name, \"esolm\")) {}\n"
            + "switch (name) { case \"esolm\" -> x(); }\n"
            + "switch (name) { case \"x\", \"ar\": y(); }\n"
            + "if (name == \"duo\") {}\n"
            + "if (registry.names().contains(\"esolm\")) {}\n"
            + "var d = new dev.dllm.family.duo.DuoFamily();\n";
    assertEquals(10, violations(src, families).size(), "" + violations(src, families));
    String fine =
        "String[][] RECIPES = {{\"ar\", \"ce\"}, {\"mdlm\", \"low_var\"}};\n"
            + "static final String FAMILY = \"mdlm\";\n"
            + "if (name.equals(\"mdlm-x\")) {}\n"
            + "if (sections.contains(\"ar\")) {}\n"
            + "if (x.equals(family)) {}\n"
            + "// if (\"duo\".equals(name)) in a comment\n"
            + " * {@code \"duo\".equals(name)} in Javadoc\n";
    assertEquals(List.of(), violations(fine, families));
  }
}

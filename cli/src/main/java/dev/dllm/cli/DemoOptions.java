package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;

/**
 * The demo's options, validated before any stage runs and saved as {@code DIR/demo-options.json} so
 * that {@code dllm demo --resume DIR} continues with the same ones. Values are kept as the text the
 * stages receive; each is checked with the strict parsers of {@link CliOptions}.
 *
 * @param quick the few-minute smoke run (xxs, L 64, tiny budget)
 * @param values option name (without dashes) to value: preset, seq-len, batch, flops (or {@code
 *     auto} until {@code --minutes} has been turned into a budget), num-samples, steps, threads,
 *     scorer, eval-steps, eval-samples, downstream ({@code true} or {@code false}), and minutes
 *     when given
 */
record DemoOptions(boolean quick, Map<String, String> values) {
  /** The file in the demo folder that records the options. */
  static final String FILE = "demo-options.json";

  /** The options a resumed demo may change (they do not change any result file's meaning). */
  static final String CHANGEABLE = "threads";

  private static final String[] INTS = {
    "seq-len", "batch", "num-samples", "steps", "threads", "eval-samples"
  };

  /** The {@code flops} value of a demo whose budget comes from {@code --minutes} (not yet set). */
  static final String AUTO = "auto";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Whether the downstream stage runs (on unless {@code --no-downstream}). */
  boolean downstream() {
    return !"false".equals(values.get("downstream"));
  }

  String get(String name) {
    return values.get(name);
  }

  /** A copy with {@code name} set to {@code value}. */
  DemoOptions with(String name, String value) {
    Map<String, String> v = new LinkedHashMap<>(values);
    v.put(name, value);
    return new DemoOptions(quick, v);
  }

  /** The eval stage's step counts T (diffusion families). */
  java.util.List<Integer> evalSteps() {
    return ParetoCommand.steps("eval-steps", get("eval-steps"));
  }

  /**
   * Options from the command line: defaults are those of the full demo (or {@code --quick}), or,
   * when resuming, the stored ones; a stored option given again with another value is refused.
   *
   * @param stored the options of the demo being resumed, or null
   * @param storedFile where {@code stored} was read from (for the message)
   * @throws InvalidInputException naming the option and what was expected
   */
  static DemoOptions parse(CommandLine cmd, DemoOptions stored, Path storedFile) {
    boolean quick = stored != null ? stored.quick() : cmd.hasOption("quick");
    if (stored != null && cmd.hasOption("quick") && !stored.quick()) {
      throw new InvalidInputException(
          "--quick: the demo in "
              + storedFile.getParent()
              + " is the full demo; resume it without"
              + " --quick");
    }
    if (cmd.hasOption("flops") && cmd.hasOption("minutes")) {
      throw new InvalidInputException(
          "--flops and --minutes both set the training budget; give one of them");
    }
    String minutes = cmd.getOptionValue("minutes", stored != null ? stored.get("minutes") : null);
    if (stored != null
        && cmd.hasOption("minutes")
        && !cmd.getOptionValue("minutes").trim().equals(stored.get("minutes"))) {
      throw new InvalidInputException(
          "--minutes "
              + cmd.getOptionValue("minutes")
              + ": the demo being resumed was started with "
              + (stored.get("minutes") == null
                  ? "--flops " + stored.get("flops")
                  : "--minutes " + stored.get("minutes"))
              + " ("
              + storedFile
              + "); resume with the same options");
    }
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("preset", quick ? "xxs" : "xs");
    defaults.put("seq-len", quick ? "64" : "256");
    // B 8 and lr 2e-3: at 1e13 FLOPs MDLM xs reached val NELBO 2.293 vs 2.409 with B 16, lr 1e-3
    // (issue 10): at laptop budgets optimizer steps, not batch size, limit the small models
    defaults.put("batch", "8");
    defaults.put("lr", quick ? "1e-3" : "2e-3");
    // 8e12 FLOPs per model: the four xs trainings, exports, samples and the eval stage in about
    // 15 minutes on 2 cores (issue 10)
    defaults.put("flops", minutes != null ? AUTO : quick ? "2e10" : "8e12");
    defaults.put("num-samples", quick ? "2" : "4");
    defaults.put("steps", quick ? "32" : cmd.getOptionValue("seq-len", defaults.get("seq-len")));
    // 1 thread (xs: 4.1k tok/s vs 5.4k with 2); kept while the non-finite-gradient stop is open
    defaults.put("threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
    defaults.put("scorer", ScorerArg.DEFAULT);
    // eval stage: T per diffusion family and samples per point. Full demo: 13 points of 16 x 256
    // tokens; on 2 cores MDLM and Duo sample ~200-230 tokens/s at T 256 (issue 10 notes), Eso-LM
    // and AR ~4k, so about 2 minutes in all (8 samples: about 1 minute)
    defaults.put("eval-steps", quick ? "8,32" : "16,64,256");
    defaults.put("eval-samples", quick ? "4" : "16");
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : defaults.keySet()) {
      String given = cmd.getOptionValue(name);
      String value = given != null ? given.trim() : stored != null ? stored.get(name) : null;
      if (value == null && stored != null && name.equals("lr")) {
        value = "1e-3"; // a demo started before --lr existed trained at the old default
      }
      if (value == null) {
        value = defaults.get(name);
      }
      check(name, value);
      if (stored != null
          && given != null
          && !name.equals(CHANGEABLE)
          && !same(name, value, stored.get(name))) {
        throw new InvalidInputException(
            "--"
                + name
                + " "
                + value
                + ": the demo being resumed was started with --"
                + name
                + " "
                + stored.get(name)
                + " ("
                + storedFile
                + "); resume with the same options (only --"
                + CHANGEABLE
                + " may change)");
      }
      values.put(name, value);
    }
    // the downstream stage: off unless --downstream, until its task is tuned to the bar
    // (best family 20-90%; issue 17 notes); a resumed demo keeps its choice, an older folder has
    // none
    if (cmd.hasOption("downstream") && cmd.hasOption("no-downstream")) {
      throw new InvalidInputException("--downstream and --no-downstream exclude each other");
    }
    String storedDown = stored != null ? stored.get("downstream") : null;
    values.put(
        "downstream",
        cmd.hasOption("downstream")
            ? "true"
            : cmd.hasOption("no-downstream") ? "false" : storedDown != null ? storedDown : "true");
    if (minutes != null) {
      double m = CliOptions.parseNumber("minutes", minutes.trim());
      if (!(m > 0) || Double.isInfinite(m)) {
        throw new InvalidInputException("--minutes must be > 0, got " + minutes);
      }
      values.put("minutes", minutes.trim());
    }
    return new DemoOptions(quick, values);
  }

  private static void check(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidInputException("--" + name + " must not be empty");
    }
    for (String i : INTS) {
      if (i.equals(name)) {
        CliOptions.parseInteger(name, value, 1, Integer.MAX_VALUE);
      }
    }
    if (name.equals("threads")) {
      ThreadsOption.check(value, 1); // above the cores the train and pareto stages warn
    }
    // checked here, before the demo folder is made, not by the train stage after tokenizing
    if (name.equals("seq-len") && CliOptions.parseInteger(name, value, 1, Integer.MAX_VALUE) < 2) {
      throw new InvalidInputException("--seq-len must be >= 2, got " + value);
    }
    if (name.equals("preset")
        && !dev.dllm.api.model.DitPresets.exists(value)
        && !Files.isRegularFile(Path.of(value))) {
      throw new InvalidInputException(
          "--preset: unknown preset '"
              + value
              + "'; expected one of "
              + dev.dllm.api.model.DitPresets.names());
    }
    if (name.equals("flops") && !value.equals(AUTO) && !(CliOptions.parseNumber(name, value) > 0)) {
      throw new InvalidInputException("--flops must be > 0, got " + value);
    }
    if (name.equals("lr") && !(CliOptions.parseNumber(name, value) > 0)) {
      throw new InvalidInputException("--lr must be > 0, got " + value);
    }
    if (name.equals("eval-steps")) {
      ParetoCommand.steps(name, value);
    }
    if (name.equals("scorer")) {
      ScorerArg.check(value);
    }
  }

  private static boolean same(String name, String a, String b) {
    if (b == null) {
      return true; // not recorded by the version that started the demo
    }
    if (name.equals("flops") && (a.equals(AUTO) || b.equals(AUTO))) {
      return a.equals(b);
    }
    if (name.equals("flops")) {
      return CliOptions.parseNumber(name, a) == CliOptions.parseNumber(name, b);
    }
    for (String i : INTS) {
      if (i.equals(name)) {
        return CliOptions.parseInteger(name, a, 1, Integer.MAX_VALUE)
            == CliOptions.parseInteger(name, b, 1, Integer.MAX_VALUE);
      }
    }
    return a.equals(b);
  }

  /** Writes {@code dir/demo-options.json} atomically. */
  void save(Path dir) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("quick", quick);
    json.putAll(values);
    Path tmp = dev.dllm.eval.EvalFiles.newTempFile(dir, "." + FILE);
    try {
      JSON.writeValue(tmp.toFile(), json);
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads the options of the demo in {@code dir}.
   *
   * @throws InvalidInputException when {@code dir} is not a demo folder or the file is unreadable
   */
  static DemoOptions load(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputException("--resume " + dir + ": no such folder");
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(
          "--resume "
              + dir
              + ": not a demo folder ("
              + FILE
              + " is missing); give the folder a 'dllm demo' run wrote");
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      if (n == null || !n.isObject()) {
        throw new IOException("expected a JSON object");
      }
      Map<String, String> values = new LinkedHashMap<>();
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("quick")) {
                  values.put(e.getKey(), e.getValue().asText());
                }
              });
      return new DemoOptions(n.path("quick").asBoolean(false), values);
    } catch (IOException e) {
      throw new InvalidInputException("--resume " + dir + ": cannot read " + file + " (" + e + ")");
    }
  }
}

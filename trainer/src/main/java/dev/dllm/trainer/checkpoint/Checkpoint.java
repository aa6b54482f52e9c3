package dev.dllm.trainer.checkpoint;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.model.ModelConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A training checkpoint directory (DESIGN.md §Files): {@code model.safetensors} (reference tensor
 * names, PyTorch layout, F32), {@code optimizer.safetensors}, {@code config.json} ({@code
 * format_version}, {@code family}, {@code model}, {@code schedule}, {@code tokenizer} spec and
 * special ids, {@code training} state) and {@code tokenizer/} ({@code state.json} with {@link
 * Tokenizer#state()}, plus a copy of the tokenizer file for {@code hf:PATH}/{@code spm:PATH} specs,
 * so the directory is self-contained).
 *
 * <p>Saving is atomic: everything is written into a temporary sibling directory, forced to disk,
 * then renamed into place. The previous checkpoint is first renamed to {@code .NAME.prev} and
 * deleted only after the new one is in place; {@link #load} falls back to it if a crash happened
 * between the two renames. Folders and files get the permissions the umask gives (0755/0644
 * usually), not the 0700/0600 of temporary files, and the same content gives the same bytes.
 */
public final class Checkpoint {
  private Checkpoint() {}

  /** Version of the directory layout written by {@link #save}. */
  public static final int FORMAT_VERSION = 1;

  public static final String MODEL_FILE = "model.safetensors";
  public static final String OPTIMIZER_FILE = "optimizer.safetensors";
  public static final String CONFIG_FILE = "config.json";
  public static final String TOKENIZER_DIR = "tokenizer";
  public static final String TOKENIZER_STATE = "state.json";

  private static final ObjectMapper JSON = CheckpointFiles.JSON;

  /**
   * Everything stored in a checkpoint.
   *
   * @param weights model parameters
   * @param optimizerState optimizer tensors by name (empty when none were saved)
   * @param trainingState free-form training state from config.json (JSON types: numbers come back
   *     as Integer/Long/Double, read them through {@link Number})
   * @param family family name
   * @param schedule noise schedule name, or null (AR / unknown family)
   * @param tokenizerSpec the spec string to recreate the tokenizer (a stored tokenizer file is
   *     pointed to inside {@code tokenizer/})
   * @param tokenizerState the tokenizer's {@link Tokenizer#state()}
   * @param specials the special ids recorded at save time
   */
  public record Loaded(
      DitWeights weights,
      Map<String, Tensor> optimizerState,
      Map<String, Object> trainingState,
      String family,
      String schedule,
      String tokenizerSpec,
      Map<String, String> tokenizerState,
      SpecialTokens specials) {

    /** The model shape. */
    public DitConfig config() {
      return weights.config();
    }

    /**
     * Recreates the tokenizer through {@link Tokenizers#restore}.
     *
     * @throws InvalidInputException when its scheme is not on the class path
     */
    public Tokenizer tokenizer() {
      return Tokenizers.restore(tokenizerSpec, tokenizerState);
    }
  }

  /** Saves with the schedule name looked up from the registered family (null if none). */
  public static void save(
      Path dir,
      DitWeights weights,
      Map<String, Tensor> optimizerState,
      Map<String, Object> trainingState,
      Tokenizer tokenizer,
      String family)
      throws IOException {
    save(dir, weights, optimizerState, trainingState, tokenizer, family, scheduleOf(family));
  }

  /**
   * Writes a checkpoint atomically (see the class comment).
   *
   * @param dir the checkpoint directory (replaced if it exists)
   * @param optimizerState optimizer tensors by name; may be empty
   * @param trainingState JSON-serialisable values (numbers, strings, booleans, lists, maps)
   * @param schedule noise schedule name, may be null
   * @throws IOException when writing fails; {@code dir} then still holds the previous checkpoint
   */
  public static void save(
      Path dir,
      DitWeights weights,
      Map<String, Tensor> optimizerState,
      Map<String, Object> trainingState,
      Tokenizer tokenizer,
      String family,
      String schedule)
      throws IOException {
    save(dir, weights, optimizerState, trainingState, tokenizer, family, schedule, f -> {});
  }

  /** {@link #save} with a hook run after each file is written (tests inject failures here). */
  static void save(
      Path dir,
      DitWeights weights,
      Map<String, Tensor> optimizerState,
      Map<String, Object> trainingState,
      Tokenizer tokenizer,
      String family,
      String schedule,
      Consumer<String> afterFile)
      throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    Path parent = target.getParent();
    Files.createDirectories(parent);
    String name = target.getFileName().toString();
    Path tmp = CheckpointFiles.createTempDir(parent, "." + name + ".tmp-");
    boolean done = false;
    try {
      write(tmp, weights, optimizerState, trainingState, tokenizer, family, schedule, afterFile);
      Path prev = parent.resolve("." + name + ".prev");
      CheckpointFiles.deleteRecursively(prev);
      if (Files.exists(target)) {
        CheckpointFiles.move(target, prev);
      }
      CheckpointFiles.move(tmp, target);
      done = true;
      CheckpointFiles.deleteRecursively(prev);
      CheckpointFiles.fsyncDir(parent);
    } finally {
      if (!done) {
        CheckpointFiles.deleteRecursively(tmp);
      }
    }
  }

  private static void write(
      Path tmp,
      DitWeights weights,
      Map<String, Tensor> optimizerState,
      Map<String, Object> trainingState,
      Tokenizer tokenizer,
      String family,
      String schedule,
      Consumer<String> afterFile)
      throws IOException {
    Map<String, String> modelMeta = new LinkedHashMap<>();
    modelMeta.put("format", "pt");
    modelMeta.put("family", family);
    Safetensors.write(tmp.resolve(MODEL_FILE), weights.tensors(), modelMeta);
    afterFile.accept(MODEL_FILE);
    Safetensors.write(
        tmp.resolve(OPTIMIZER_FILE),
        optimizerState == null ? Map.of() : optimizerState,
        Map.of("format", "pt"));
    afterFile.accept(OPTIMIZER_FILE);
    Path tokDir = Files.createDirectories(tmp.resolve(TOKENIZER_DIR));
    String spec = tokenizer.spec();
    String storedFile = null;
    int colon = spec.indexOf(':');
    if (colon > 0) {
      Path src = Path.of(spec.substring(colon + 1));
      if (Files.isRegularFile(src)) {
        storedFile = src.getFileName().toString();
        Files.copy(src, tokDir.resolve(storedFile));
      }
    }
    CheckpointFiles.writeJson(
        tokDir.resolve(TOKENIZER_STATE), new LinkedHashMap<>(tokenizer.state()));
    afterFile.accept(TOKENIZER_DIR);

    ObjectNode root = JSON.createObjectNode();
    root.put("format_version", FORMAT_VERSION);
    root.put("family", family);
    root.set("model", ModelConfigFile.toNode(weights.config(), JSON));
    if (schedule == null) {
      root.putNull("schedule");
    } else {
      root.put("schedule", schedule);
    }
    ObjectNode tok = root.putObject("tokenizer");
    tok.put("spec", spec);
    if (storedFile != null) {
      tok.put("file", storedFile);
    }
    tok.put("vocab_size", tokenizer.vocabSize());
    SpecialTokens s = tokenizer.specials();
    tok.put("bos", s.bos());
    tok.put("eos", s.eos());
    tok.put("pad", s.pad());
    tok.put("mask", s.mask());
    root.set("training", JSON.valueToTree(trainingState == null ? Map.of() : trainingState));
    CheckpointFiles.writeJson(tmp.resolve(CONFIG_FILE), root);
    afterFile.accept(CONFIG_FILE);
    CheckpointFiles.fsyncDir(tokDir);
    CheckpointFiles.fsyncDir(tmp);
  }

  /**
   * Loads a checkpoint and checks every model tensor against the shape in config.json.
   *
   * @throws InvalidInputException naming the file and tensor/field when a file is missing, a tensor
   *     is missing, misshaped or truncated, or config.json lacks a field
   */
  public static Loaded load(Path dir) throws IOException {
    Path target = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(target)) {
      Path prev = target.getParent().resolve("." + target.getFileName() + ".prev");
      if (Files.isDirectory(prev)) {
        target = prev; // a crash between the two renames of save
      } else {
        throw new InvalidInputException(
            Files.exists(target)
                ? "checkpoint "
                    + dir
                    + " is a file; expected a checkpoint folder (dllm train's OUT/checkpoint)"
                : "checkpoint " + dir + " does not exist");
      }
    }
    Path configFile = target.resolve(CONFIG_FILE);
    JsonNode root = CheckpointFiles.readJson(configFile);
    String where = "checkpoint " + configFile;
    String family = requiredText(root, "family", where);
    JsonNode model = root.get("model");
    if (!(model instanceof ObjectNode modelNode)) {
      throw new InvalidInputException(where + ": missing field 'model'");
    }
    DitConfig cfg = ModelConfigFile.configFromNode(modelNode, where + " model");
    JsonNode sched = root.get("schedule");
    String schedule = sched == null || sched.isNull() ? null : sched.asText();
    JsonNode tok = root.get("tokenizer");
    if (tok == null || !tok.isObject()) {
      throw new InvalidInputException(where + ": missing field 'tokenizer'");
    }
    String spec = requiredText(tok, "spec", where + " tokenizer");
    Path tokDir = target.resolve(TOKENIZER_DIR);
    if (tok.hasNonNull("file")) {
      Path stored = tokDir.resolve(tok.get("file").asText());
      if (!Files.isRegularFile(stored)) {
        throw new InvalidInputException(
            where + ": tokenizer file " + stored + " is missing from the checkpoint");
      }
      spec = spec.substring(0, spec.indexOf(':') + 1) + stored;
    }
    SpecialTokens specials =
        new SpecialTokens(
            intField(tok, "bos", where), intField(tok, "eos", where),
            intField(tok, "pad", where), intField(tok, "mask", where));
    Path statePath = tokDir.resolve(TOKENIZER_STATE);
    Map<String, String> tokState =
        JSON.convertValue(
            CheckpointFiles.readJson(statePath),
            new TypeReference<LinkedHashMap<String, String>>() {});
    JsonNode training = root.get("training");
    Map<String, Object> trainingState =
        training == null || training.isNull()
            ? new LinkedHashMap<>()
            : JSON.convertValue(training, new TypeReference<LinkedHashMap<String, Object>>() {});

    Path modelFile = target.resolve(MODEL_FILE);
    CheckpointFiles.requireFile(modelFile);
    Safetensors.Contents mc = Safetensors.read(modelFile);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      Tensor t = mc.tensors().get(e.getKey());
      if (t == null) {
        throw new InvalidInputException(
            "checkpoint " + modelFile + " is missing tensor '" + e.getKey() + "'");
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new InvalidInputException(
            "checkpoint "
                + modelFile
                + ": tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(t.shape())
                + ", config.json implies "
                + Arrays.toString(e.getValue()));
      }
      tensors.put(e.getKey(), t);
    }
    for (String n : mc.tensors().keySet()) {
      if (!tensors.containsKey(n)) {
        throw new InvalidInputException(
            "checkpoint " + modelFile + ": unexpected tensor '" + n + "'");
      }
    }
    Path optFile = target.resolve(OPTIMIZER_FILE);
    Map<String, Tensor> opt =
        Files.exists(optFile) ? Safetensors.read(optFile).tensors() : Map.of();
    return new Loaded(
        new DitWeights(cfg, tensors),
        opt,
        trainingState,
        family,
        schedule,
        spec,
        tokState,
        specials);
  }

  private static String scheduleOf(String family) {
    try {
      NoiseSchedule s = FamilyRegistry.load().get(family).schedule();
      return s == null ? null : s.name();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String requiredText(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new InvalidInputException(where + ": missing field '" + field + "'");
    }
    return v.asText();
  }

  private static int intField(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isIntegralNumber()) {
      throw new InvalidInputException(where + ": missing field 'tokenizer." + field + "'");
    }
    return v.asInt();
  }
}

package dev.dllm.trainer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.optim.AdamWConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resolved options of a run, kept in every checkpoint it writes ({@code config.json}, {@code
 * training.run_config}) so that {@code dllm train --resume DIR} and {@code dllm distill --resume
 * DIR} continue the run without the options being repeated: family, objective (resolved), preset or
 * model file, data, tokenizer, block mode, L, B, accumulation, FLOPs or steps, lr, min_lr, warmup
 * (as given, -1 = default), AdamW, clip, EMA, dropout, seed, threads, validation and checkpoint
 * cadence, family options, initial weights and teacher rounds, and for fine-tuning ({@link
 * SftOptions}) the held-out data or share, the skip bound and the prompt template. Not kept: {@code
 * --resume}, {@code --out} and {@code --stop-after}, which belong to one invocation.
 *
 * <p>Paths of the data and the initial checkpoint are kept absolute (a resume from another working
 * folder reads the same files); the model file is kept as given, as the checkpoint's own {@code
 * model_config} is. Checkpoints written before this key existed have none: {@link #read} returns
 * null and the options must be repeated as before.
 */
public final class StoredRunConfig {
  /** Key of the stored options in the checkpoint's training state. */
  public static final String KEY = "run_config";

  private static final ObjectMapper JSON = new ObjectMapper();

  private StoredRunConfig() {}

  /**
   * The options of {@code config} as JSON values (strings, numbers, a map of strings; null for an
   * absent path).
   *
   * @param objectiveName the objective the run uses (its {@code --objective} or the family default)
   */
  static Map<String, Object> toState(TrainConfig config, String objectiveName) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("family", config.family());
    m.put("objective", objectiveName);
    m.put("preset", config.preset());
    m.put("model_config", config.modelConfig() == null ? null : config.modelConfig().toString());
    m.put("data", absolute(config.data()));
    m.put("tokenizer", config.tokenizer());
    m.put("mode", config.mode());
    m.put("newlines", config.newlines());
    m.put("seq_len", config.seqLen());
    m.put("batch", config.batch());
    m.put("accumulation", config.accumulation());
    m.put("flops", config.flops());
    m.put("steps", config.steps());
    m.put("lr", config.lr());
    m.put("min_lr", config.minLr());
    m.put("warmup", config.warmup());
    m.put("beta1", config.adamW().beta1());
    m.put("beta2", config.adamW().beta2());
    m.put("eps", config.adamW().eps());
    m.put("weight_decay", config.adamW().weightDecay());
    m.put("clip", config.clipNorm());
    m.put("ema", config.ema());
    m.put("dropout", config.dropout());
    m.put("seed", config.seed());
    m.put("threads", config.threads());
    m.put("val_every", config.valEvery());
    m.put("val_batches", config.valBatches());
    m.put("checkpoint_every", config.checkpointEvery());
    m.put("log_every", config.logEvery());
    m.put("family_options", new TreeMap<>(config.familyTraining().options()));
    m.put("init_from", absolute(config.familyTraining().initFrom()));
    m.put("teacher_refresh", config.familyTraining().teacherRefresh());
    if (config.sft() != null) {
      Map<String, Object> sft = new LinkedHashMap<>();
      sft.put("val_data", absolute(config.sft().valData()));
      sft.put("val_fraction", config.sft().valFraction());
      sft.put("max_skip_percent", config.sft().maxSkipPercent());
      sft.put("template", SftOptions.TEMPLATE);
      m.put("sft", sft);
    }
    return m;
  }

  /**
   * The stored options of the run that {@code --resume resume} names (its output folder or its
   * checkpoint folder), as a config without {@code resume}, {@code out} and {@code stopAfter}.
   *
   * @return the stored config, or null when the checkpoint has none (written before options were
   *     stored) or there is no checkpoint there (the trainer then reports that)
   * @throws InvalidInputException naming the file when its {@code config.json} is not JSON or the
   *     stored options are malformed
   */
  public static TrainConfig read(Path resume) {
    Path dir = RunCheckpoints.resumeCheckpoint(resume).toAbsolutePath().normalize();
    if (!Files.isDirectory(dir) && dir.getParent() != null) {
      dir = dir.getParent().resolve("." + dir.getFileName() + ".prev"); // a crash mid-save
    }
    Path file = dir.resolve(Checkpoint.CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    JsonNode stored;
    try {
      stored = JSON.readTree(file.toFile()).path("training").get(KEY);
    } catch (IOException e) {
      // a resume alone has nothing else to go on: name the file, not a missing --family
      throw new InvalidInputException(
          file
              + " cannot be read as the checkpoint's JSON ("
              + firstLine(e.getMessage())
              + "); a checkpoint written by dllm train is needed to resume",
          e);
    }
    if (stored == null || stored.isNull()) {
      return null;
    }
    if (!stored.isObject()) {
      throw new InvalidInputException(file + ": training." + KEY + " must be an object");
    }
    try {
      return fromState(JSON.convertValue(stored, new TypeReference<Map<String, Object>>() {}));
    } catch (RuntimeException e) {
      throw new InvalidInputException(
          file + ": training." + KEY + " is malformed (" + e.getMessage() + ")", e);
    }
  }

  /**
   * The output folder of the run that {@code --resume resume} names: {@code resume} itself when it
   * holds {@code checkpoint/}, its parent when it is a folder named {@code checkpoint}, else null.
   */
  public static Path runFolder(Path resume) {
    Path dir = RunCheckpoints.resumeCheckpoint(resume);
    if (!dir.equals(resume)) {
      return resume;
    }
    Path name = resume.toAbsolutePath().normalize().getFileName();
    return name != null && name.toString().equals("checkpoint")
        ? resume.toAbsolutePath().normalize().getParent()
        : null;
  }

  static TrainConfig fromState(Map<String, Object> m) {
    for (String key : new String[] {"family", "objective", "tokenizer", "mode"}) {
      if (!(m.get(key) instanceof String v) || v.isBlank()) {
        throw new IllegalArgumentException("'" + key + "' must be a name, got " + m.get(key));
      }
    }
    Map<String, String> options = new TreeMap<>();
    if (m.get("family_options") instanceof Map<?, ?> stored) {
      stored.forEach((k, v) -> options.put(String.valueOf(k), String.valueOf(v)));
    }
    return TrainConfig.builder()
        .family(text(m, "family"))
        .objective(text(m, "objective"))
        .preset(text(m, "preset"))
        .modelConfig(path(m, "model_config"))
        .data(path(m, "data"))
        .tokenizer(text(m, "tokenizer"))
        .mode(text(m, "mode"))
        // stored before --newlines existed: the corpus was read as it is
        .newlines(m.get("newlines") instanceof String nl ? nl : "keep")
        .seqLen((int) count(m, "seq_len"))
        .batch((int) count(m, "batch"))
        .accumulation((int) count(m, "accumulation"))
        .flops(real(m, "flops"))
        .steps(count(m, "steps"))
        .lr(real(m, "lr"))
        .minLr(real(m, "min_lr"))
        .warmup(count(m, "warmup"))
        .adamW(
            new AdamWConfig(
                real(m, "beta1"), real(m, "beta2"), real(m, "eps"), real(m, "weight_decay")))
        .clipNorm(real(m, "clip"))
        .ema(real(m, "ema"))
        .dropout(real(m, "dropout"))
        .seed(count(m, "seed"))
        .threads((int) count(m, "threads"))
        .valEvery(count(m, "val_every"))
        .valBatches((int) count(m, "val_batches"))
        .checkpointEvery(count(m, "checkpoint_every"))
        .logEvery(count(m, "log_every"))
        .familyTraining(
            new FamilyTraining(options, path(m, "init_from"), count(m, "teacher_refresh")))
        .sft(sft(m.get("sft")))
        .build();
  }

  @SuppressWarnings("unchecked")
  private static SftOptions sft(Object stored) {
    if (stored == null) {
      return null;
    }
    if (!(stored instanceof Map<?, ?>)) {
      throw new IllegalArgumentException("'sft' must be an object, got " + stored);
    }
    Map<String, Object> m = (Map<String, Object>) stored;
    return new SftOptions(
        path(m, "val_data"), real(m, "val_fraction"), real(m, "max_skip_percent"));
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String absolute(Path p) {
    return p == null ? null : p.toAbsolutePath().normalize().toString();
  }

  private static String text(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : v.toString();
  }

  private static Path path(Map<String, Object> m, String key) {
    String v = text(m, key);
    return v == null ? null : Path.of(v);
  }

  private static long count(Map<String, Object> m, String key) {
    if (m.get(key) instanceof Number n) {
      return n.longValue();
    }
    throw new IllegalArgumentException("'" + key + "' must be a number, got " + m.get(key));
  }

  private static double real(Map<String, Object> m, String key) {
    if (m.get(key) instanceof Number n) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException("'" + key + "' must be a number, got " + m.get(key));
  }
}

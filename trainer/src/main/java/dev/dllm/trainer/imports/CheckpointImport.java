package dev.dllm.trainer.imports;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code dllm import}: a downloaded release ({@link PublishedSource}) becomes a dllm training
 * checkpoint ({@link Checkpoint}), ready for {@code dllm export}. Every tensor is checked ({@link
 * ImportPlan}: one message lists all that is missing, unexpected or misshaped); the checkpoint's
 * {@code config.json} records, under {@code training}, the source, its license line, the SHA-256 of
 * each weight file and the layout, and {@code seq_len}. An existing {@code --out} is never
 * overwritten.
 */
public final class CheckpointImport {
  private CheckpointImport() {}

  /** Training-state key of the import record. */
  public static final String KEY = "import";

  /** GPT-2 with one added id (mask / [PAD] at 50257): MDLM and Duo on OpenWebText. */
  static final int GPT2_VOCAB = 50258;

  /**
   * What to import.
   *
   * @param from the release folder (or a {@code .ckpt} / {@code .safetensors} file)
   * @param family the registered family the release was trained as
   * @param tokenizer a tokenizer spec, or null: {@code tokenizer.json} of the folder, else GPT-2
   *     when V = 50258
   * @param ema take a Lightning checkpoint's EMA weights
   * @param heads attention heads when the release does not say, or null
   * @param length training sequence length when the release does not say, or null
   * @param out the checkpoint folder to create
   */
  public record Options(
      Path from,
      String family,
      String tokenizer,
      boolean ema,
      Integer heads,
      Integer length,
      Path out) {}

  /**
   * What was imported.
   *
   * @param record the {@code training.import} record written into {@code config.json}
   */
  public record Report(
      Path out, ImportPlan plan, Tokenizer tokenizer, Map<String, Object> record) {}

  /**
   * Imports {@code o.from} into {@code o.out}.
   *
   * @throws InvalidInputException for an unknown family, an existing {@code --out}, a release that
   *     matches no layout or not the DiT (one message listing every problem), or a tokenizer whose
   *     vocabulary differs from the embedding's
   * @throws IOException when reading or writing fails ({@code --out} is then not created)
   */
  public static Report run(Options o) throws IOException {
    Path out = o.out().toAbsolutePath().normalize();
    if (Files.exists(out) && !(Files.isDirectory(out) && isEmpty(out))) {
      throw new InvalidInputException(
          "--out " + out + " already exists; refusing to overwrite it (choose a new folder)");
    }
    DiffusionFamily family = FamilyRegistry.load().get(o.family());
    try (PublishedSource src = PublishedSource.open(o.from(), o.ema())) {
      ImportPlan plan = ImportPlan.of(src, o.family(), family.backbone(), o.heads(), o.length());
      plan.check(o.from().toString(), src.layout());
      if (plan.length() <= 0) {
        throw new InvalidInputException(
            "--from "
                + o.from()
                + ": the training sequence length is not in "
                + src.config().source()
                + "; pass --length");
      }
      Tokenizer tok = tokenizer(o, src, plan);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : plan.sourceOf().entrySet()) {
        tensors.put(e.getKey(), src.read(e.getValue()));
      }
      DitWeights weights = new DitWeights(plan.config(), tensors);
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("source", o.from().toAbsolutePath().normalize().toString());
      record.put("layout", src.layout());
      record.put("license", ModelCard.license(src.folder()));
      Map<String, String> sums = new LinkedHashMap<>();
      for (Path f : src.files()) {
        sums.put(f.getFileName().toString(), ModelCard.sha256(f));
      }
      record.put("sha256", sums);
      record.put("ema", o.ema());
      record.put("config_from", src.config().source());
      record.put("dropped_buffers", plan.dropped());
      record.put("ignored_entries", src.ignored().size());
      Map<String, Object> training = new LinkedHashMap<>();
      training.put("seq_len", plan.length());
      training.put("import_source", record.get("source"));
      training.put("import_license", record.get("license"));
      training.put("import_sha256", String.join(",", sums.values()));
      training.put(KEY, record);
      Checkpoint.save(out, weights, Map.of(), training, tok, o.family());
      return new Report(out, plan, tok, record);
    }
  }

  private static Tokenizer tokenizer(Options o, PublishedSource src, ImportPlan plan) {
    int v = plan.config().vocabSize();
    String spec = o.tokenizer();
    if (spec == null) {
      Path hf = src.folder().resolve("tokenizer.json");
      if (Files.isRegularFile(hf)) {
        spec = "hf:" + hf.toAbsolutePath();
      } else if (v == GPT2_VOCAB) {
        spec = "gpt2";
      } else {
        throw new InvalidInputException(
            "--from "
                + o.from()
                + " has no tokenizer.json and V = "
                + v
                + " is not GPT-2's 50258; pass --tokenizer (e.g. hf:FILE or spm:FILE)");
      }
    }
    Tokenizer tok = Tokenizers.create(spec, "");
    if (tok.vocabSize() != v) {
      throw new InvalidInputException(
          "--tokenizer "
              + spec
              + " has "
              + tok.vocabSize()
              + " ids, but the embedding of "
              + o.from()
              + " has "
              + v
              + " rows");
    }
    return tok;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** The layouts {@code dllm import} reads, for help texts. */
  public static List<String> layouts() {
    return List.of(
        "model.safetensors + config.json (mdlm-owt, duo, duo-distilled, SDLLM hub save)",
        "model.safetensors.index.json + shards",
        "Lightning .ckpt (MDLM, Duo, Eso-LM; --ema for the EMA weights)");
  }
}

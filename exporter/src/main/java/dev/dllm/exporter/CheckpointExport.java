package dev.dllm.exporter;

import dev.dllm.api.InvalidInputException;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.trainer.StoredRunConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exports a trainer checkpoint directory ({@link Checkpoint}) as a self-describing ONNX export: the
 * DiT graphs plus metadata (family, model, schedule, tokenizer spec and state, special ids, scalar
 * training provenance such as steps, tokens, FLOPs and val NLL, and the training block mode as
 * {@value ExportMetadata#BLOCK_MODE_KEY}, which decides whether prompts get a BOS: {@link
 * dev.dllm.runtime.onnx.PromptBos}). A tokenizer file the checkpoint carries ({@code hf:}/{@code
 * spm:} specs) is copied into {@code tokenizer/} of the export and referenced relatively.
 */
public final class CheckpointExport {
  private CheckpointExport() {}

  /** Training-state keys that may hold the training sequence length. */
  static final String[] LENGTH_KEYS = {"seq_len", "length", "block_length", "context_length"};

  /**
   * Reads {@code checkpoint} and writes the export to {@code out}.
   *
   * @param seqLen the sequence length to record, or 0 to take it from the training state
   * @throws InvalidInputException for a missing or malformed checkpoint
   */
  public static OnnxExport.Report export(Path checkpoint, Path out, int seqLen) throws IOException {
    return export(checkpoint, out, seqLen, OnnxExport.Quantize.NONE);
  }

  /**
   * As {@link #export(Path, Path, int)}, with the graphs quantized as {@code quantize} says ({@link
   * OnnxExport#write(dev.dllm.api.model.DitWeights, ExportMetadata, Path, Map,
   * OnnxExport.Quantize)}).
   *
   * @throws InvalidInputException for a missing or malformed checkpoint
   */
  public static OnnxExport.Report export(
      Path checkpoint, Path out, int seqLen, OnnxExport.Quantize quantize) throws IOException {
    OnnxExport.checkOut(out);
    Checkpoint.Loaded ck = Checkpoint.load(checkpoint);
    Map<String, Object> provenance = new LinkedHashMap<>();
    ck.trainingState()
        .forEach(
            (k, v) -> {
              if (v instanceof Number || v instanceof String || v instanceof Boolean) {
                provenance.put(k, v);
              }
            });
    String mode = blockMode(ck.trainingState());
    if (mode != null) {
      provenance.put(ExportMetadata.BLOCK_MODE_KEY, mode);
    } else {
      provenance.remove(ExportMetadata.BLOCK_MODE_KEY);
    }
    String corpus = corpus(ck.trainingState());
    if (corpus != null) {
      provenance.put(ExportMetadata.CORPUS_KEY, corpus);
      Object nl = ((Map<?, ?>) ck.trainingState().get(StoredRunConfig.KEY)).get("newlines");
      provenance.put(ExportMetadata.NEWLINES_KEY, nl instanceof String s ? s : "keep");
    } else {
      provenance.remove(ExportMetadata.CORPUS_KEY);
      provenance.remove(ExportMetadata.NEWLINES_KEY);
    }
    int length = seqLen;
    for (String k : LENGTH_KEYS) {
      if (length == 0 && ck.trainingState().get(k) instanceof Number n) {
        length = n.intValue();
      }
    }
    String spec = ck.tokenizerSpec();
    Map<String, Path> files = new LinkedHashMap<>();
    int colon = spec.indexOf(':');
    if (colon > 0 && colon < spec.length() - 1) {
      Path file = Path.of(spec.substring(colon + 1));
      if (Files.isRegularFile(file)) {
        String rel = "tokenizer/" + file.getFileName();
        files.put(rel, file);
        spec = spec.substring(0, colon + 1) + rel;
      }
    }
    Map<String, String> familyMetadata = new LinkedHashMap<>();
    try {
      Map<String, String> options = new LinkedHashMap<>();
      if (ck.trainingState().get("family_options") instanceof Map<?, ?> stored) {
        stored.forEach((k, v) -> options.put(String.valueOf(k), String.valueOf(v)));
      }
      dev.dllm.api.FamilyRegistry.load()
          .get(ck.family())
          .configure(options)
          .exportMetadata()
          .forEach(
              (k, v) -> {
                if (!k.equals("family")) {
                  familyMetadata.put(k, v);
                }
              });
    } catch (InvalidInputException e) {
      // the family plugin is not on this class path: export without its extra metadata
    }
    ExportMetadata md =
        new ExportMetadata(
            ck.family(),
            ExportMetadata.GRAPH_FULL,
            ck.config(),
            length,
            ck.schedule() == null ? "" : ck.schedule(),
            spec,
            ck.tokenizerState(),
            ck.specials(),
            provenance,
            familyMetadata);
    return OnnxExport.write(ck.weights(), md, out, files, quantize);
  }

  /**
   * The corpus the checkpoint was pre-trained on, from the run's stored options ({@link
   * StoredRunConfig}): the absolute path of {@code data}, {@value ExportMetadata#BUNDLED_CORPUS}
   * when {@code data} is null (the bundled Tiny Shakespeare); null when the checkpoint stores no
   * options or is a fine-tuning run (its data are prompt/response pairs, not a corpus).
   */
  static String corpus(Map<String, Object> trainingState) {
    if (!(trainingState.get(StoredRunConfig.KEY) instanceof Map<?, ?> run)
        || run.get("sft") != null) {
      return null;
    }
    Object data = run.get("data");
    if (data == null) {
      return ExportMetadata.BUNDLED_CORPUS;
    }
    return data instanceof String s && !s.isBlank() ? s : null;
  }

  /**
   * The block mode the checkpoint was trained in ({@code pack}, {@code window} or {@code wrap}):
   * the training state's own {@value ExportMetadata#BLOCK_MODE_KEY}, else the {@code mode} of the
   * run's stored options ({@link StoredRunConfig}); null (unknown) when neither names one.
   */
  static String blockMode(Map<String, Object> trainingState) {
    Object mode = trainingState.get(ExportMetadata.BLOCK_MODE_KEY);
    if (!(mode instanceof String)
        && trainingState.get(StoredRunConfig.KEY) instanceof Map<?, ?> run) {
      mode = run.get("mode");
    }
    if (mode instanceof String s && !s.isBlank()) {
      try {
        return BlockMode.parse(s).id();
      } catch (InvalidInputException e) {
        return null;
      }
    }
    return null;
  }
}

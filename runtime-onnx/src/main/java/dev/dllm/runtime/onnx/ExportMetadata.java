package dev.dllm.runtime.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an exported model says about itself in the ONNX {@code metadata_props} (string key/values;
 * structured values are JSON). A model is self-describing: the runtime needs only the export
 * directory.
 *
 * @param family registry name of the family ({@code mdlm}, {@code ar}, ...)
 * @param graph {@link #GRAPH_FULL} or {@link #GRAPH_DECODE}
 * @param model the DiT shape
 * @param seqLen the sequence length L the model was trained at (0 when unknown)
 * @param schedule the noise schedule as stored by the trainer (JSON text, may be empty)
 * @param tokenizerSpec spec string for {@code Tokenizers.restore}
 * @param tokenizerState tokenizer state (for example the char vocabulary), inline
 * @param specials special ids
 * @param training provenance from the checkpoint (steps, tokens, flops, val_nll, {@value
 *     #BLOCK_MODE_KEY}; may be empty)
 * @param familyMetadata the family's own {@code exportMetadata()} entries
 */
public record ExportMetadata(
    String family,
    String graph,
    DitConfig model,
    int seqLen,
    String schedule,
    String tokenizerSpec,
    Map<String, String> tokenizerState,
    SpecialTokens specials,
    Map<String, Object> training,
    Map<String, String> familyMetadata) {

  /** Export format written by this version. */
  public static final int FORMAT_VERSION = 1;

  public static final String GRAPH_FULL = "full";
  public static final String GRAPH_DECODE = "decode";

  /** File names inside an export directory. */
  public static final String FULL_FILE = "model.onnx";

  public static final String DECODE_FILE = "decode.onnx";

  /**
   * The weights file of an export with ONNX external data (models over 2 GB), shared by {@link
   * #FULL_FILE} and {@link #DECODE_FILE}.
   */
  public static final String EXTERNAL_DATA_FILE = "model.onnx.data";

  static final String PREFIX = "dllm.";

  /**
   * The {@code metadata_props} key (and {@code export-report.json} field {@code model_hash}) of a
   * hash of the exported weights, written by the exporter into every graph of an export so that the
   * runtime can tell graphs of different models apart ({@link ExportFolderCheck}).
   */
  public static final String MODEL_HASH_KEY = PREFIX + "model_hash";

  /**
   * The {@code metadata_props} key of a graph's weight precision: {@value #INT8} for a graph whose
   * weight MatMuls run as dynamic int8 ({@code DynamicQuantizeLinear} + {@code MatMulInteger},
   * written by {@code dllm export --quantize int8}); absent for fp32.
   */
  public static final String QUANTIZE_KEY = PREFIX + "quantize";

  /** The {@link #QUANTIZE_KEY} value of an int8 graph. */
  public static final String INT8 = "int8";

  /**
   * The {@link #training} key of the block mode the model was trained in: {@code pack}, {@code
   * window} or {@code wrap} (exports written before it was recorded have none: unknown).
   */
  public static final String BLOCK_MODE_KEY = "block_mode";

  /**
   * The {@link #training} key of the corpus the model was trained on: its absolute path, or {@value
   * #BUNDLED_CORPUS} for the bundled Tiny Shakespeare. Absent when unknown (exports written before
   * it was recorded, checkpoints without stored options, fine-tuned models whose data are
   * prompt/response pairs); {@code dllm eval} scores this corpus's validation split by default.
   */
  public static final String CORPUS_KEY = "corpus";

  /**
   * The {@link #training} key of the line ends the training corpus was read with: {@code lf} (CRLF
   * and CR read as LF) or {@code keep}; absent for runs recorded before the option existed (read as
   * {@code keep}).
   */
  public static final String NEWLINES_KEY = "newlines";

  /** The {@value #CORPUS_KEY} value of the bundled Tiny Shakespeare. */
  public static final String BUNDLED_CORPUS = "bundled:tinyshakespeare";

  private static final ObjectMapper JSON = new ObjectMapper();

  public ExportMetadata {
    tokenizerState = Map.copyOf(tokenizerState);
    training = new LinkedHashMap<>(training);
    familyMetadata = Map.copyOf(familyMetadata);
  }

  /** The same metadata for another graph kind. */
  public ExportMetadata withGraph(String g) {
    return new ExportMetadata(
        family,
        g,
        model,
        seqLen,
        schedule,
        tokenizerSpec,
        tokenizerState,
        specials,
        training,
        familyMetadata);
  }

  /**
   * The block mode the model was trained in ({@value #BLOCK_MODE_KEY} of {@link #training}): {@code
   * pack}, {@code window} or {@code wrap}, or null when the export does not record it (or records
   * something else).
   */
  public String blockMode() {
    Object v = training.get(BLOCK_MODE_KEY);
    if (v instanceof String s) {
      String m = s.trim().toLowerCase(Locale.ROOT);
      if (m.equals("pack") || m.equals("window") || m.equals("wrap")) {
        return m;
      }
    }
    return null;
  }

  /** As {@code metadata_props}. */
  public Map<String, String> toProps() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "format_version", Integer.toString(FORMAT_VERSION));
    m.put(PREFIX + "family", family);
    m.put(PREFIX + "graph", graph);
    m.put(PREFIX + "model", json(modelMap(model)));
    m.put(PREFIX + "seq_len", Integer.toString(seqLen));
    m.put(PREFIX + "schedule", schedule == null ? "" : schedule);
    m.put(PREFIX + "tokenizer.spec", tokenizerSpec);
    m.put(PREFIX + "tokenizer.state", json(new TreeMap<>(tokenizerState)));
    Map<String, Integer> sp = new LinkedHashMap<>();
    sp.put("bos", specials.bos());
    sp.put("eos", specials.eos());
    sp.put("pad", specials.pad());
    sp.put("mask", specials.mask());
    m.put(PREFIX + "specials", json(sp));
    m.put(PREFIX + "training", json(training));
    new TreeMap<>(familyMetadata).forEach((k, v) -> m.put(PREFIX + "family." + k, v));
    return m;
  }

  /**
   * Parses {@code metadata_props}.
   *
   * @param source the file the properties came from (for messages)
   * @throws InvalidInputException naming the file and the missing or malformed key
   */
  public static ExportMetadata fromProps(Map<String, String> props, String source) {
    String version = require(props, "format_version", source);
    if (!version.equals(Integer.toString(FORMAT_VERSION))) {
      throw new InvalidInputException(
          source
              + ": export format version "
              + version
              + " is not supported (this runtime reads version "
              + FORMAT_VERSION
              + ")");
    }
    Map<String, String> fam = new TreeMap<>();
    props.forEach(
        (k, v) -> {
          if (k.startsWith(PREFIX + "family.")) {
            fam.put(k.substring((PREFIX + "family.").length()), v);
          }
        });
    Map<String, Integer> sp =
        parse(require(props, "specials", source), new TypeReference<>() {}, source, "specials");
    return new ExportMetadata(
        require(props, "family", source),
        require(props, "graph", source),
        parseModel(require(props, "model", source), source),
        seqLen(props.getOrDefault(PREFIX + "seq_len", "0"), source),
        props.getOrDefault(PREFIX + "schedule", ""),
        require(props, "tokenizer.spec", source),
        parse(
            props.getOrDefault(PREFIX + "tokenizer.state", "{}"),
            new TypeReference<Map<String, String>>() {},
            source,
            "tokenizer.state"),
        new SpecialTokens(
            sp.getOrDefault("bos", -1),
            sp.getOrDefault("eos", -1),
            sp.getOrDefault("pad", -1),
            sp.getOrDefault("mask", -1)),
        parse(
            props.getOrDefault(PREFIX + "training", "{}"),
            new TypeReference<Map<String, Object>>() {},
            source,
            "training"),
        fam);
  }

  /** A DiT shape as a JSON-friendly map (the trainer's config.json field names). */
  public static Map<String, Object> modelMap(DitConfig c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("vocab_size", c.vocabSize());
    m.put("hidden", c.hidden());
    m.put("blocks", c.blocks());
    m.put("heads", c.heads());
    m.put("cond_dim", c.condDim());
    m.put("attention", c.attention().name().toLowerCase(Locale.ROOT));
    m.put("dropout", c.dropout());
    return m;
  }

  private static DitConfig parseModel(String text, String source) {
    Map<String, Object> m = parse(text, new TypeReference<>() {}, source, "model");
    try {
      return new DitConfig(
          ((Number) m.get("vocab_size")).intValue(),
          ((Number) m.get("hidden")).intValue(),
          ((Number) m.get("blocks")).intValue(),
          ((Number) m.get("heads")).intValue(),
          ((Number) m.get("cond_dim")).intValue(),
          BackboneSpec.Attention.valueOf(
              ((String) m.get("attention")).toUpperCase(Locale.ROOT).replace('-', '_')),
          ((Number) m.getOrDefault("dropout", 0.0)).doubleValue());
    } catch (RuntimeException e) {
      throw new InvalidInputException(
          source + ": metadata '" + PREFIX + "model' is not a valid DiT config: " + text, e);
    }
  }

  private static int seqLen(String text, String source) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          source + ": metadata '" + PREFIX + "seq_len' must be an integer, got '" + text + "'");
    }
  }

  private static String require(Map<String, String> props, String key, String source) {
    String v = props.get(PREFIX + key);
    if (v == null) {
      throw new InvalidInputException(
          source
              + ": metadata '"
              + PREFIX
              + key
              + "' is missing (not a dllm export, or written by another tool)");
    }
    return v;
  }

  private static <T> T parse(String text, TypeReference<T> type, String source, String key) {
    try {
      return JSON.readValue(text, type);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          source + ": metadata '" + PREFIX + key + "' is not valid JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

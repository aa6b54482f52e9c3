package dev.dllm.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * A DiT shape read from a YAML or JSON file, in the field names of [SD] configs/model/*.yaml:
 * {@code hidden_size}, {@code n_blocks}, {@code n_heads} (required), {@code cond_dim} (default
 * 128), {@code dropout} (default 0), {@code vocab_size}, {@code attention} ({@code bidirectional},
 * {@code causal}, {@code sorted_causal}) and {@code name} (optional). The reference's informational
 * fields {@code type}, {@code length}, {@code scale_by_sigma} are accepted and ignored; {@code
 * tie_word_embeddings} must be false. Any other field is an error.
 *
 * @param name label (file name when absent)
 * @param hidden d
 * @param blocks number of blocks
 * @param heads H
 * @param condDim adaLN width
 * @param dropout residual dropout
 * @param vocabSize V when the file fixes it, else null
 * @param attention attention when the file fixes it, else null
 */
public record ModelConfigFile(
    String name,
    int hidden,
    int blocks,
    int heads,
    int condDim,
    double dropout,
    Integer vocabSize,
    Attention attention) {

  private static final Set<String> KNOWN =
      Set.of(
          "name",
          "hidden_size",
          "n_blocks",
          "n_heads",
          "cond_dim",
          "dropout",
          "vocab_size",
          "attention",
          "type",
          "length",
          "scale_by_sigma",
          "tie_word_embeddings");

  /**
   * Reads a model file ({@code .yaml}/{@code .yml} as YAML, anything else as JSON).
   *
   * @throws InvalidInputException naming the file and field when a field is unknown, missing or of
   *     the wrong type, or the file cannot be read/parsed
   */
  public static ModelConfigFile read(Path file) {
    String fn = file.getFileName().toString().toLowerCase(Locale.ROOT);
    ObjectMapper mapper =
        fn.endsWith(".yaml") || fn.endsWith(".yml")
            ? new ObjectMapper(new YAMLFactory())
            : new ObjectMapper();
    JsonNode root;
    try {
      root = mapper.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          "model config " + file + ": cannot parse: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidInputException("model config " + file + ": cannot read: " + e, e);
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException("model config " + file + ": expected a mapping of fields");
    }
    return fromNode((ObjectNode) root, "model config " + file, fileStem(file));
  }

  /**
   * Parses the model object of a JSON/YAML tree.
   *
   * @param where prefix of error messages (e.g. "model config FILE")
   */
  static ModelConfigFile fromNode(ObjectNode n, String where, String defaultName) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!KNOWN.contains(f)) {
        throw new InvalidInputException(
            where
                + ": unknown field '"
                + f
                + "'; expected hidden_size, n_blocks, n_heads, cond_dim, dropout, vocab_size,"
                + " attention, name");
      }
    }
    if (n.has("tie_word_embeddings") && n.get("tie_word_embeddings").asBoolean(true)) {
      throw new InvalidInputException(
          where + ": field 'tie_word_embeddings' must be false (the DiT head is untied)");
    }
    String name = n.has("name") ? text(n, "name", where) : defaultName;
    int hidden = intField(n, "hidden_size", where, null);
    int blocks = intField(n, "n_blocks", where, null);
    int heads = intField(n, "n_heads", where, null);
    int cond = intField(n, "cond_dim", where, DitPresets.COND_DIM);
    double dropout = 0;
    if (n.has("dropout")) {
      if (!n.get("dropout").isNumber()) {
        throw new InvalidInputException(where + ": field 'dropout' must be a number");
      }
      dropout = n.get("dropout").asDouble();
      if (dropout < 0 || dropout >= 1) {
        throw new InvalidInputException(where + ": field 'dropout' must be in [0, 1)");
      }
    }
    Integer vocab = n.has("vocab_size") ? intField(n, "vocab_size", where, null) : null;
    Attention att = n.has("attention") ? attention(text(n, "attention", where), where) : null;
    if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
      throw new InvalidInputException(
          where
              + ": field 'n_heads' = "
              + heads
              + " must split hidden_size "
              + hidden
              + " into heads of even size");
    }
    return new ModelConfigFile(name, hidden, blocks, heads, cond, dropout, vocab, att);
  }

  /**
   * The DiT shape for a tokenizer of {@code vocab} ids and a family needing {@code attention}.
   *
   * @throws InvalidInputException when the file fixes a different vocab_size or attention
   */
  public DitConfig toConfig(int vocab, Attention attention) {
    if (vocabSize != null && vocabSize != vocab) {
      throw new InvalidInputException(
          "model config '"
              + name
              + "': field 'vocab_size' = "
              + vocabSize
              + " but the tokenizer has "
              + vocab
              + " ids");
    }
    if (this.attention != null && this.attention != attention) {
      throw new InvalidInputException(
          "model config '"
              + name
              + "': field 'attention' = "
              + lower(this.attention)
              + " but the family needs "
              + lower(attention));
    }
    return new DitConfig(vocab, hidden, blocks, heads, condDim, attention, dropout);
  }

  /**
   * A preset name ({@link DitPresets}) or a path to a YAML/JSON model file.
   *
   * @throws InvalidInputException when it is neither (the message lists the presets)
   */
  public static DitConfig resolve(String presetOrFile, int vocab, Attention attention) {
    if (DitPresets.exists(presetOrFile)) {
      return DitPresets.preset(presetOrFile, vocab, attention);
    }
    Path p = Path.of(presetOrFile);
    if (Files.isRegularFile(p)) {
      return read(p).toConfig(vocab, attention);
    }
    throw new InvalidInputException(
        "model '"
            + presetOrFile
            + "' is neither a file nor a preset; presets: "
            + String.join(", ", DitPresets.names()));
  }

  /** JSON object of a {@link DitConfig} (all fields, the names read by {@link #fromNode}). */
  public static ObjectNode toNode(DitConfig c, ObjectMapper mapper) {
    ObjectNode n = mapper.createObjectNode();
    n.put("hidden_size", c.hidden());
    n.put("n_blocks", c.blocks());
    n.put("n_heads", c.heads());
    n.put("cond_dim", c.condDim());
    n.put("dropout", c.dropout());
    n.put("vocab_size", c.vocabSize());
    n.put("attention", lower(c.attention()));
    return n;
  }

  /**
   * A complete {@link DitConfig} from an object written by {@link #toNode}.
   *
   * @throws InvalidInputException naming {@code where} and the field when one is missing
   */
  public static DitConfig configFromNode(ObjectNode n, String where) {
    ModelConfigFile f = fromNode(n, where, "model");
    if (f.vocabSize() == null) {
      throw new InvalidInputException(where + ": missing field 'vocab_size'");
    }
    if (f.attention() == null) {
      throw new InvalidInputException(where + ": missing field 'attention'");
    }
    return f.toConfig(f.vocabSize(), f.attention());
  }

  private static String lower(Attention a) {
    return a.name().toLowerCase(Locale.ROOT);
  }

  private static Attention attention(String v, String where) {
    try {
      return Attention.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          where
              + ": field 'attention' = '"
              + v
              + "'; expected bidirectional, causal or sorted_causal");
    }
  }

  private static String text(ObjectNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (!v.isTextual()) {
      throw new InvalidInputException(where + ": field '" + field + "' must be a string");
    }
    return v.asText();
  }

  private static int intField(ObjectNode n, String field, String where, Integer dflt) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (dflt == null) {
        throw new InvalidInputException(where + ": missing field '" + field + "'");
      }
      return dflt;
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw new InvalidInputException(
          where + ": field '" + field + "' must be a positive integer, got " + v);
    }
    return v.asInt();
  }

  private static String fileStem(Path file) {
    String s = file.getFileName().toString();
    int dot = s.lastIndexOf('.');
    return dot > 0 ? s.substring(0, dot) : s;
  }
}

package dev.dllm.trainer.imports;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model description that came with a published checkpoint, as a tree of plain values, in one of
 * the dialects the releases use: the Hugging Face {@code config.json} of {@code mdlm-owt} / Duo
 * (flat {@code hidden_dim}, {@code n_blocks}, {@code n_heads}, {@code cond_dim}, {@code
 * model_length}, {@code vocab_size}, {@code time_conditioning}), a {@code PyTorchModelHubMixin}
 * {@code config.json} or Hydra {@code config.yaml} ({@code model.hidden_size}, {@code
 * model.length}, {@code algo.causal_attention}, ... possibly under {@code config}), or a Lightning
 * checkpoint's {@code hyper_parameters} (an OmegaConf {@code DictConfig} read as inert data).
 */
public final class PublishedConfig {
  private final Map<String, Object> tree;
  private final String source;

  private PublishedConfig(Map<String, Object> tree, String source) {
    this.tree = tree;
    this.source = source;
  }

  /** No description (everything comes from the tensors and flags). */
  public static PublishedConfig none() {
    return new PublishedConfig(Map.of(), "none");
  }

  /** Where the values came from ({@code config.json}, {@code hyper_parameters}, or none). */
  public String source() {
    return source;
  }

  /**
   * The first readable description in {@code dir}: {@code config.json}, then {@code
   * .hydra/config.yaml}, {@code config.yaml}, {@code hparams.yaml}.
   *
   * @throws InvalidInputException naming the file when it is not valid JSON / YAML
   */
  public static PublishedConfig fromFolder(Path dir) throws IOException {
    for (String name :
        List.of("config.json", ".hydra/config.yaml", "config.yaml", "hparams.yaml")) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f)) {
        return fromFile(f);
      }
    }
    return none();
  }

  /**
   * One JSON or YAML file.
   *
   * @throws InvalidInputException naming the file when it is not a valid JSON / YAML object
   */
  public static PublishedConfig fromFile(Path f) throws IOException {
    boolean json = f.getFileName().toString().endsWith(".json");
    ObjectMapper m = json ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
    try {
      Object v = m.readValue(f.toFile(), Object.class);
      if (v instanceof Map<?, ?> map) {
        return new PublishedConfig(plainMap(map), f.toString());
      }
      throw new InvalidInputException(f + " is not a JSON/YAML object");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidInputException(
          f + " is not valid " + (json ? "JSON" : "YAML") + ": " + e.getOriginalMessage(), e);
    }
  }

  /** A Lightning checkpoint's {@code hyper_parameters} (OmegaConf nodes unwrapped). */
  public static PublishedConfig fromHyperParameters(Object hp, String where) {
    Object v = plain(hp);
    if (v instanceof Map<?, ?> map && !map.isEmpty()) {
      return new PublishedConfig(plainMap(map), where + " hyper_parameters");
    }
    return none();
  }

  /** Unwraps OmegaConf nodes ({@code _content}, {@code _val}) and inert objects into plain data. */
  static Object plain(Object o) {
    if (o instanceof TorchPickle.PyObject p) {
      if (p.state instanceof Map<?, ?> s) {
        if (s.containsKey("_content")) {
          return plain(s.get("_content"));
        }
        if (s.containsKey("_val")) {
          return plain(s.get("_val"));
        }
        return plain(s);
      }
      if (p.state instanceof TorchPickle.Tuple t && !t.items().isEmpty()) {
        return plain(t.items().get(t.items().size() - 1) instanceof Map<?, ?> m ? m : null);
      }
      return p.state == null ? null : plain(p.state);
    }
    if (o instanceof Map<?, ?> m) {
      return plainMap(m);
    }
    if (o instanceof List<?> l) {
      List<Object> r = new ArrayList<>();
      l.forEach(x -> r.add(plain(x)));
      return r;
    }
    return o;
  }

  private static Map<String, Object> plainMap(Map<?, ?> m) {
    Map<String, Object> r = new LinkedHashMap<>();
    m.forEach((k, v) -> r.put(String.valueOf(k), plain(v)));
    return r;
  }

  /** The value at the first dotted path that exists (e.g. {@code model.hidden_size}), or null. */
  public Object find(String... paths) {
    for (String p : paths) {
      for (String root : new String[] {"", "config."}) {
        Object v = tree;
        for (String part : (root + p).split("\\.")) {
          v = v instanceof Map<?, ?> m ? m.get(part) : null;
        }
        if (v != null) {
          return v;
        }
      }
    }
    return null;
  }

  /**
   * An integer at the first path that exists, or null.
   *
   * @throws InvalidInputException naming the source and path when it is not an integer
   */
  public Integer integer(String... paths) {
    Object v = find(paths);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw new InvalidInputException(
        source + ": field '" + paths[0] + "' is " + v + ", expected an integer");
  }

  /** A boolean at the first path that exists, or null. */
  public Boolean bool(String... paths) {
    Object v = find(paths);
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    return null;
  }
}

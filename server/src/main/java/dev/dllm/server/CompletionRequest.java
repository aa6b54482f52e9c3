package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Prompt;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /v1/completions}: OpenAI's fields that apply to dllm ({@code model},
 * {@code prompt} as a string or a list of strings, {@code suffix} for fill-in-the-middle, {@code
 * max_tokens}, {@code n}, {@code seed}, {@code top_p}, {@code stop}, {@code stream}) and dllm's own
 * ({@code steps}, and every other field as a sampler option of the model's family, such as {@code
 * greedy_tail} (Duo), {@code kv_cache} (AR, Eso-LM) or {@code predictor} (MDLM), given as a JSON
 * string, number or boolean). A field the family does not know is refused by {@link
 * CompletionsHandler} with a 400 naming it.
 *
 * @param model the served model's id, or null for the only one
 * @param prompts the prompts (at least one); choice c belongs to prompt c / n
 * @param suffix text after the generated span (fill-in-the-middle), or "" for none
 * @param maxTokens generated tokens after each prompt (the gap of an infill), default 16
 * @param n choices per prompt, 1 … {@link #MAX_N}
 * @param seed the seed, or null to draw one (the one used is returned)
 * @param topP nucleus mass in (0, 1]
 * @param stop strings that end a completion (at most 4, none empty)
 * @param stream whether to answer with server-sent events
 * @param steps denoising steps T, 1 … {@link #MAX_STEPS} (AR ignores it)
 * @param familyOptions the family's sampler options, values as strings
 */
record CompletionRequest(
    String model,
    List<String> prompts,
    String suffix,
    int maxTokens,
    int n,
    Long seed,
    double topP,
    List<String> stop,
    boolean stream,
    int steps,
    Map<String, String> familyOptions) {

  /** Most choices per prompt. */
  static final int MAX_N = 16;

  /** Most prompts in one request. */
  static final int MAX_PROMPTS = 16;

  /** Most denoising steps of one request. */
  static final int MAX_STEPS = 4096;

  /** Default {@code max_tokens}, OpenAI's. */
  static final int DEFAULT_MAX_TOKENS = 16;

  /** Default {@code steps}, as {@code dllm sample}'s library default. */
  static final int DEFAULT_STEPS = 64;

  /** The fields that are not family options. */
  static final Set<String> CORE =
      Set.of(
          "model",
          "prompt",
          "suffix",
          "max_tokens",
          "n",
          "seed",
          "top_p",
          "stop",
          "stream",
          "steps");

  /** Number of choices: prompts × n. */
  int choices() {
    return prompts.size() * n;
  }

  /**
   * The generator options of this request with {@code seed}: the same as {@code dllm sample
   * --prompt TEXT --num-samples n --max-new-tokens M --steps T --seed S} (one prompt), or as a
   * {@code --prompts} file of the prompts in order (several), each choice drawing from its own
   * split of the seed.
   */
  GenerateOptions options(long seed) {
    GenerateOptions o =
        GenerateOptions.defaults()
            .withNumber(choices())
            .withSteps(steps)
            .withSeed(seed)
            .withTopP(topP)
            .withMaxNewTokens(maxTokens)
            .withStop(stop.toArray(String[]::new));
    for (Map.Entry<String, String> e : familyOptions.entrySet()) {
      o = o.withOption(e.getKey(), e.getValue());
    }
    List<Prompt> requests = new ArrayList<>();
    for (String p : prompts) {
      Prompt one = suffix.isEmpty() ? Prompt.of(p) : Prompt.infill(p, suffix, maxTokens);
      for (int k = 0; k < (prompts.size() == 1 ? 1 : n); k++) {
        requests.add(one);
      }
    }
    return o.withRequests(requests);
  }

  /**
   * Reads a request body.
   *
   * @throws ApiException 400 naming the field for a body that is not an object, a field of the
   *     wrong type or out of range
   */
  static CompletionRequest parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ApiException.invalid(null, "the request body must be a JSON object");
    }
    String model = optString(body, "model");
    List<String> prompts = prompts(body.get("prompt"));
    String suffix = optString(body, "suffix");
    int maxTokens = optInt(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, Integer.MAX_VALUE);
    int n = optInt(body, "n", 1, 1, MAX_N);
    Long seed = body.hasNonNull("seed") ? longValue(body.get("seed"), "seed") : null;
    double topP = 1.0;
    if (body.hasNonNull("top_p")) {
      JsonNode t = body.get("top_p");
      if (!t.isNumber()) {
        throw ApiException.invalid("top_p", "top_p must be a number in (0, 1], got " + kind(t));
      }
      topP = t.asDouble();
      if (!(topP > 0 && topP <= 1)) {
        throw ApiException.invalid("top_p", "top_p must be in (0, 1], got " + t);
      }
    }
    List<String> stop = stop(body.get("stop"));
    boolean stream = false;
    if (body.hasNonNull("stream")) {
      if (!body.get("stream").isBoolean()) {
        throw ApiException.invalid(
            "stream", "stream must be true or false, got " + kind(body.get("stream")));
      }
      stream = body.get("stream").asBoolean();
    }
    int steps = optInt(body, "steps", DEFAULT_STEPS, 1, MAX_STEPS);
    Map<String, String> family = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (CORE.contains(e.getKey())) {
        continue;
      }
      JsonNode v = e.getValue();
      if (!v.isValueNode() || v.isNull()) {
        throw ApiException.invalid(
            e.getKey(),
            "field '"
                + e.getKey()
                + "' is not an OpenAI completions field; as a sampler option it must be a"
                + " string, number or boolean, got "
                + kind(v));
      }
      family.put(e.getKey(), v.asText());
    }
    if (prompts.size() * n > MAX_N * MAX_PROMPTS) {
      throw ApiException.invalid("n", "too many choices");
    }
    return new CompletionRequest(
        model,
        prompts,
        suffix == null ? "" : suffix,
        maxTokens,
        n,
        seed,
        topP,
        stop,
        stream,
        steps,
        family);
  }

  private static List<String> prompts(JsonNode p) {
    if (p == null || p.isNull()) {
      return List.of("");
    }
    if (p.isTextual()) {
      return List.of(p.asText());
    }
    if (p.isArray() && !p.isEmpty()) {
      if (p.size() > MAX_PROMPTS) {
        throw ApiException.invalid(
            "prompt", "prompt holds " + p.size() + " prompts; at most " + MAX_PROMPTS);
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : p) {
        if (!e.isTextual()) {
          throw ApiException.invalid(
              "prompt",
              "prompt must be a string or a list of strings (token ids are not accepted), got a"
                  + " list holding "
                  + kind(e));
        }
        out.add(e.asText());
      }
      return out;
    }
    throw ApiException.invalid(
        "prompt", "prompt must be a string or a non-empty list of strings, got " + kind(p));
  }

  private static List<String> stop(JsonNode s) {
    if (s == null || s.isNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.asText());
    } else if (s.isArray() && s.size() <= 4) {
      for (JsonNode e : s) {
        if (!e.isTextual()) {
          throw ApiException.invalid("stop", "stop must hold strings, got " + kind(e));
        }
        out.add(e.asText());
      }
    } else {
      throw ApiException.invalid(
          "stop", "stop must be a string or a list of at most 4 strings, got " + kind(s));
    }
    if (out.contains("")) {
      throw ApiException.invalid("stop", "a stop string must not be empty");
    }
    return out;
  }

  private static String optString(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw ApiException.invalid(field, field + " must be a string, got " + kind(v));
    }
    return v.asText();
  }

  private static int optInt(JsonNode body, String field, int fallback, int min, int max) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return fallback;
    }
    long x = longValue(v, field);
    if (x < min || x > max) {
      throw ApiException.invalid(
          field,
          field
              + " must be "
              + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]")
              + ", got "
              + x);
    }
    return (int) x;
  }

  private static long longValue(JsonNode v, String field) {
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiException.invalid(field, field + " must be an integer, got " + kind(v));
    }
    return v.asLong();
  }

  /** How a JSON value reads in a message: its type, and the value when short. */
  static String kind(JsonNode v) {
    String type =
        switch (v.getNodeType()) {
          case STRING -> "a string";
          case NUMBER -> "a number";
          case BOOLEAN -> "a boolean";
          case ARRAY -> "a list";
          case OBJECT -> "an object";
          case NULL -> "null";
          default -> v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    String text = v.toString();
    return v.isContainerNode() || text.length() > 40 ? type : type + " (" + text + ")";
  }
}

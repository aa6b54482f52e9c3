package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * The check of {@code bench-serve}'s untimed warm-up request: every timed request has the same
 * fields, so a 4xx answer to it (a {@code --max-tokens} beyond the model's length, a prompt the
 * tokenizer cannot encode, ...) would make every timed request fail too. It is bad input, named
 * with the server's own reason, before any timing.
 */
final class BenchWarmUp {
  /** Request fields that come from a bench-serve option. */
  private static final Map<String, String> OPTION =
      Map.of("max_tokens", "--max-tokens", "prompt", "--prompt", "steps", "--steps");

  private BenchWarmUp() {}

  /**
   * Returns when the warm-up was not refused (any other failure shows up as errors of the timed
   * phases, as before).
   *
   * @throws InvalidInputException for a 4xx answer other than 401 (checked when the model list was
   *     read) and 429 (a full queue), naming the option and the server's message
   */
  static void check(HttpResponse<String> r, BenchServe.Client c) {
    int status = r.statusCode();
    if (status < 400 || status >= 500 || status == 401 || status == 429) {
      return;
    }
    String message = r.body();
    String param = null;
    try {
      JsonNode e = Responses.JSON.readTree(r.body()).path("error");
      message = e.path("message").asText(message);
      param = e.path("param").isTextual() ? e.path("param").asText() : null;
    } catch (Exception e) {
      // not the server's error JSON: keep the raw body
    }
    String option = OPTION.get(param);
    String value =
        option == null
            ? ""
            : " "
                + switch (param) {
                  case "max_tokens" -> Integer.toString(c.maxTokens());
                  case "steps" -> Integer.toString(c.steps());
                  default -> Responses.JSON.valueToTree(c.prompt()).toString();
                };
    throw new InvalidInputException(
        (option == null ? "" : option + value + ": ")
            + "the server refused bench-serve's request ("
            + status
            + "): "
            + message);
  }
}

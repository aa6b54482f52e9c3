package dev.dllm.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.PromptLayout;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/completions}: reads and checks the body ({@link CompletionRequest}), checks it
 * against the model as {@code dllm sample} does ({@link DllmGenerator#plan}: sampler options,
 * prompt encoding, prompt length, {@code max_tokens} within the row, suffix only for families that
 * infill), queues its rows on the {@link Batcher} and answers with the completion or, for {@code
 * "stream": true}, with server-sent events ({@link CompletionStream}).
 */
final class CompletionsHandler {
  private final Map<String, ServedModel> models;
  private final Batcher batcher;
  private final long maxBodyBytes;

  CompletionsHandler(Map<String, ServedModel> models, Batcher batcher, long maxBodyBytes) {
    this.models = models;
    this.batcher = batcher;
    this.maxBodyBytes = maxBodyBytes;
  }

  void handle(Context ctx) throws Exception {
    JsonNode body = read(ctx);
    CompletionRequest req = CompletionRequest.parse(body);
    ServedModel model = model(req.model());
    Job job = plan(req, model);
    batcher.submit(job);
    if (req.stream()) {
      ctx.status(200);
      ctx.contentType("text/event-stream; charset=utf-8");
      ctx.header("Cache-Control", "no-cache");
      ctx.header("X-Accel-Buffering", "no");
      try (var out = ctx.res().getOutputStream()) {
        new CompletionStream(job, out).run();
      } catch (java.io.IOException gone) {
        job.cancel();
      }
      return;
    }
    try {
      List<Job.RowResult> results = job.done.get();
      DllmServer.send(
          ctx, 200, Responses.JSON.writeValueAsString(Responses.completion(job, results)));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException a) {
        throw a;
      }
      if (e.getCause() instanceof CancellationException) {
        throw new ApiException(503, "server_error", null, "cancelled", "the request was cancelled");
      }
      throw new ApiException(500, "server_error", null, null, String.valueOf(e.getCause()));
    }
  }

  /** The body as JSON: 413 past the size limit, 400 when it is not JSON. */
  private JsonNode read(Context ctx) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      throw tooLarge(declared);
    }
    byte[] bytes;
    try (InputStream in = ctx.req().getInputStream()) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
    }
    if (bytes.length > maxBodyBytes) {
      throw tooLarge(-1);
    }
    if (bytes.length == 0) {
      throw ApiException.invalid(null, "the request body is empty; send a JSON object");
    }
    try {
      return Responses.JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw ApiException.invalid(
          null,
          "the request body is not valid JSON: "
              + e.getOriginalMessage()
              + " (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ")");
    }
  }

  private ApiException tooLarge(long declared) {
    return new ApiException(
        413,
        "invalid_request_error",
        null,
        "request_too_large",
        "the request body"
            + (declared > 0 ? " of " + declared + " bytes" : "")
            + " is over the limit of "
            + maxBodyBytes
            + " bytes");
  }

  private ServedModel model(String id) {
    if (id == null) {
      if (models.size() == 1) {
        return models.values().iterator().next();
      }
      throw ApiException.invalid(
          "model", "model is required when several are served: one of " + models.keySet());
    }
    ServedModel m = models.get(id);
    if (m == null) {
      throw new ApiException(
          404,
          "invalid_request_error",
          "model",
          "model_not_found",
          "model '" + id + "' is not served; served: " + models.keySet());
    }
    return m;
  }

  private Job plan(CompletionRequest req, ServedModel model) {
    if (!req.suffix().isEmpty() && model.causal()) {
      throw ApiException.invalid(
          "suffix",
          "suffix (fill-in-the-middle) needs a diffusion family; model '"
              + model.id()
              + "' is "
              + model.family()
              + ", which only continues a prompt");
    }
    long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong(1L << 53);
    GenerateOptions options;
    List<PromptLayout.Row> rows;
    try {
      options = req.options(seed);
      unknownFields(req, model, options);
      rows = model.generator().plan(options);
    } catch (InvalidInputException e) {
      throw ApiException.invalid(param(e.getMessage()), e.getMessage());
    }
    String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
    return new Job(id, model, req, seed, options, rows, model.causal());
  }

  /** Refuses, naming them all, the fields that are neither core fields nor family options. */
  private static void unknownFields(
      CompletionRequest req, ServedModel model, GenerateOptions options) {
    DllmGenerator g = model.generator();
    try {
      g.newSampler(options);
      return;
    } catch (InvalidInputException e) {
      if (!e.getMessage().contains("is not supported by family")) {
        throw ApiException.invalid(refusedOption(req, g, e.getMessage()), e.getMessage());
      }
    }
    List<String> unknown = new ArrayList<>();
    String known = "";
    for (Map.Entry<String, String> f : req.familyOptions().entrySet()) {
      try {
        probeOption(req, g, f);
      } catch (InvalidInputException e) {
        if (e.getMessage().contains("is not supported by family")) {
          unknown.add(f.getKey());
          int at = e.getMessage().indexOf("known options:");
          known = at >= 0 ? " (" + e.getMessage().substring(at) + ")" : "";
        }
      }
    }
    throw ApiException.invalid(
        unknown.isEmpty() ? null : unknown.get(0),
        (unknown.size() == 1 ? "unknown field '" : "unknown fields '")
            + String.join("', '", unknown)
            + "': not a completions field ("
            + String.join(", ", new java.util.TreeSet<>(CompletionRequest.CORE))
            + ") nor a sampler option of family "
            + model.family()
            + known);
  }

  /**
   * The family option the sampler refuses on its own (a bad value such as {@code kv_cache: "yes"}),
   * the first in request order; else the field {@link #param} finds in {@code message}.
   */
  private static String refusedOption(CompletionRequest req, DllmGenerator g, String message) {
    for (Map.Entry<String, String> f : req.familyOptions().entrySet()) {
      try {
        probeOption(req, g, f);
      } catch (InvalidInputException e) {
        return f.getKey();
      }
    }
    return param(message);
  }

  /**
   * Opens a one-token sampler with only {@code option} set, so that the family checks it alone.
   *
   * @throws InvalidInputException when the family refuses the option or its value
   */
  private static void probeOption(
      CompletionRequest req, DllmGenerator g, Map.Entry<String, String> option) {
    g.newSampler(
        GenerateOptions.defaults()
            .withSteps(req.steps())
            .withMaxNewTokens(1)
            .withOption(option.getKey(), option.getValue()));
  }

  /** The request field an error message of the generator is about, or null. */
  static String param(String message) {
    String m = message.toLowerCase(Locale.ROOT);
    if (m.contains("too long")) {
      return "prompt";
    }
    if (m.contains("beyond capacity")) {
      return "max_tokens";
    }
    if (m.contains("only continues") || m.contains("suffix: character")) {
      return "suffix";
    }
    if (m.contains("cannot be encoded") || m.startsWith("prompt")) {
      return "prompt";
    }
    if (m.contains("top-p")) {
      return "top_p";
    }
    if (m.contains("steps")) {
      return "steps";
    }
    return null;
  }
}

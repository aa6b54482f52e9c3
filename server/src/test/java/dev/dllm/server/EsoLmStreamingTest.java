package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Eso-LM streaming over the tiny sorted-causal export (alpha_0 = 0.5: a diffusion phase, then a
 * sequential phase of one token per call), with its window KV cache and without: one {@code
 * dllm.canvas} per network call and choice, then the final canvas ({@link CanvasStream}: decoded
 * positions never go back to masked, the final canvas is the completion), the same text as the
 * runtime ({@code dllm sample}) for the seed, and the same stream whatever the request is batched
 * with.
 */
class EsoLmStreamingTest {
  static final String MODEL = "esolm-tiny";

  static DllmServer start(int maxBatch, long windowMillis) {
    return DllmServer.start(
        ServeOptions.defaults(List.of(TestServers.fixture(MODEL)))
            .withPort(0)
            .withBatching(maxBatch, windowMillis)
            .withQueue(16)
            .withApiKey(null)
            .withThreads(1));
  }

  static String body(int tokens, int n, long seed, String cache, boolean stream) {
    return String.format(
        "{\"model\":\"%s\",\"prompt\":\"\",\"max_tokens\":%d,\"n\":%d,\"seed\":%d,\"steps\":6,"
            + "\"kv_cache\":%s,\"stream\":%b}",
        MODEL, tokens, n, seed, cache, stream);
  }

  /**
   * The whole row free (no BOS, no prompt): position 0 is in the span, where the window cache pads
   * the rows whose window is shorter than the widest; four rows with their own plans.
   */
  @ParameterizedTest
  @ValueSource(strings = {"true", "false"})
  void streamsOneCanvasPerCallAndEndsWithTheRuntimesText(String cache) throws Exception {
    try (DllmServer s = start(8, 5);
        DllmGenerator g = DllmGenerator.open(TestServers.fixture(MODEL))) {
      for (long seed = 1; seed <= 3; seed++) {
        List<Generated> want =
            g.generate(
                GenerateOptions.defaults()
                    .withNumber(4)
                    .withSteps(6)
                    .withSeed(seed)
                    .withOption("kv_cache", cache)
                    .withPrompt("")
                    .withMaxNewTokens(12));
        HttpResponse<String> r = TestServers.post(s, body(12, 4, seed, cache, true));
        assertEquals(200, r.statusCode(), r.body());
        CanvasStream stream = new CanvasStream(r.body());
        stream.check(4, 12, true);
        assertEquals(want.get(0).nfe(), stream.usage.path("nfe").asInt());
        for (int i = 0; i < 4; i++) {
          assertEquals(want.get(i).completion(), stream.chunks.get(i).path("text").asText());
          // the canvas grows: a decoded token is shown from the call that first fed it on
          List<JsonNode> canvases = stream.canvases.get(i);
          for (int k = 1; k < canvases.size(); k++) {
            assertTrue(
                CanvasStream.committed(canvases.get(k))
                    >= CanvasStream.committed(canvases.get(k - 1)));
          }
          assertEquals(12, CanvasStream.committed(canvases.get(canvases.size() - 1)));
        }
      }
    }
  }

  /**
   * Two streamed requests of different lengths share one sampler call (same model, steps and row
   * length) but not one group of the sampler (their given counts differ): the group sampled second
   * sees calls that feed none of its positions first. Each stream is the one it gets alone.
   */
  @ParameterizedTest
  @ValueSource(strings = {"true", "false"})
  void aBatchedStreamIsTheStreamAlone(String cache) throws Exception {
    List<String> bodies = List.of(body(7, 2, 41, cache, true), body(4, 1, 42, cache, true));
    List<String> alone = new ArrayList<>();
    try (DllmServer s = start(1, 0)) {
      for (String b : bodies) {
        HttpResponse<String> r = TestServers.post(s, b);
        assertEquals(200, r.statusCode(), r.body());
        alone.add(texts(new CanvasStream(r.body())));
      }
    }
    try (DllmServer s = start(8, 500)) {
      List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
      for (String b : bodies) {
        fs.add(
            TestServers.HTTP.sendAsync(
                HttpRequest.newBuilder(TestServers.uri(s, "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(b))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      int[][] shape = {{2, 7}, {1, 4}};
      for (int j = 0; j < fs.size(); j++) {
        HttpResponse<String> r = fs.get(j).get();
        assertEquals(200, r.statusCode(), r.body());
        CanvasStream stream = new CanvasStream(r.body());
        stream.check(shape[j][0], shape[j][1], true);
        assertEquals(alone.get(j), texts(stream));
      }
      assertEquals(3.0, TestServers.metric(s, "dllm_batch_rows_max"), "one call for both");
    }
  }

  private static String texts(CanvasStream s) {
    List<String> out = new ArrayList<>();
    s.chunks.values().forEach(c -> out.add(c.path("text").asText()));
    return out.toString();
  }
}

package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The queue bound (429), the API key (401, never logged). */
class LimitsTest {
  /** A request that keeps the only worker busy for a while (no cache: a network call per step). */
  static final String SLOW =
      "{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":8,\"steps\":4096,"
          + "\"predictor\":\"ancestral\",\"seed\":1}";

  @Test
  void aFullQueueGets429WithRetryAfterAndNothingIsDropped() throws Exception {
    try (DllmServer s = TestServers.start(1, 0, 1, null)) {
      List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        fs.add(
            TestServers.HTTP.sendAsync(
                java.net.http.HttpRequest.newBuilder(TestServers.uri(s, "/v1/completions"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(SLOW))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      int ok = 0;
      int full = 0;
      for (CompletableFuture<HttpResponse<String>> f : fs) {
        HttpResponse<String> r = f.get();
        if (r.statusCode() == 429) {
          full++;
          assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
          assertEquals(
              "queue_full", TestServers.json(r.body()).path("error").path("code").asText());
        } else {
          assertEquals(200, r.statusCode(), r.body());
          ok++;
        }
      }
      assertEquals(8, ok + full);
      assertTrue(full >= 1, "429s: " + full);
      assertTrue(ok >= 1, "200s: " + ok);
      assertEquals(
          (double) ok,
          TestServers.metric(
              s, "dllm_requests_total{endpoint=\"/v1/completions\",status=\"200\"}"));
      assertEquals(
          (double) full,
          TestServers.metric(
              s, "dllm_requests_total{endpoint=\"/v1/completions\",status=\"429\"}"));
    }
  }

  @Test
  void theApiKeyGuardsEveryEndpointButHealthAndIsNeverLogged() throws Exception {
    String key = "sk-test-7f3a9c1e";
    PrintStream err = System.err;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
    try (DllmServer s = TestServers.start(8, 0, 8, key)) {
      assertEquals(200, TestServers.get(s, "/health").statusCode());
      for (String path : List.of("/v1/models", "/metrics")) {
        assertEquals(401, TestServers.get(s, path).statusCode(), path);
        assertEquals(
            401, TestServers.get(s, path, "Authorization", "Bearer " + key + "x").statusCode());
        assertEquals(
            200, TestServers.get(s, path, "Authorization", "Bearer " + key).statusCode(), path);
      }
      String body = "{\"prompt\":\"to\",\"model\":\"mdlm-tiny\",\"max_tokens\":2}";
      HttpResponse<String> no = TestServers.post(s, body);
      assertEquals(401, no.statusCode());
      assertEquals(
          "invalid_api_key", TestServers.json(no.body()).path("error").path("code").asText());
      assertEquals(401, TestServers.post(s, body, "Authorization", "Bearer wrong").statusCode());
      assertEquals(200, TestServers.post(s, body, "Authorization", "Bearer " + key).statusCode());
      assertEquals(
          400,
          TestServers.post(s, "{\"api_key\":\"" + key + "x\"", "Authorization", "Bearer " + key)
              .statusCode());
    } finally {
      System.setErr(err);
    }
    String logged = log.toString(StandardCharsets.UTF_8);
    assertTrue(logged.contains("POST /v1/completions 401"), logged);
    assertTrue(logged.contains("POST /v1/completions 200"), logged);
    assertFalse(logged.contains(key), logged);
  }
}

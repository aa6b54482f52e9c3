package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Concurrent requests that can share a network call are sampled together, and each keeps its own
 * seed: a request's text alone equals its text batched with others.
 */
class BatchingTest {

  static String body(String model, String prompt, int seed, int n) {
    return String.format(
        "{\"model\":\"%s\",\"prompt\":\"%s\",\"max_tokens\":5,\"seed\":%d,\"n\":%d,\"steps\":16}",
        model, prompt, seed, n);
  }

  /** Sends all bodies at once and returns their response bodies in order. */
  static List<String> concurrently(DllmServer s, List<String> bodies) throws Exception {
    List<CompletableFuture<HttpResponse<String>>> fs = new ArrayList<>();
    for (String b : bodies) {
      fs.add(
          TestServers.HTTP.sendAsync(
              java.net.http.HttpRequest.newBuilder(TestServers.uri(s, "/v1/completions"))
                  .POST(java.net.http.HttpRequest.BodyPublishers.ofString(b))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    List<String> out = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : fs) {
      HttpResponse<String> r = f.get();
      assertEquals(200, r.statusCode(), r.body());
      out.add(TestServers.json(r.body()).path("choices").toString());
    }
    return out;
  }

  @Test
  void aRequestGetsTheSameTextAloneAndBatched() throws Exception {
    List<String> bodies = new ArrayList<>();
    String[] prompts = {"to be", "to", "be or", "not", "a", "is"};
    for (String model : List.of("mdlm-tiny", "ar-tiny")) {
      for (int i = 0; i < prompts.length; i++) {
        bodies.add(body(model, prompts[i], 100 + i, 1 + i % 2));
      }
    }
    List<String> alone = new ArrayList<>();
    try (DllmServer s = TestServers.start(1, 0, 64, null)) {
      for (String b : bodies) {
        alone.addAll(concurrently(s, List.of(b)));
      }
      assertEquals(1.0, TestServers.metric(s, "dllm_batch_rows_max"));
    }
    // a long window and room for 16 rows: the concurrent requests share sampler calls
    try (DllmServer s = TestServers.start(16, 500, 64, null)) {
      List<String> batched = concurrently(s, bodies);
      assertEquals(alone, batched);
      double calls = TestServers.metric(s, "dllm_batch_rows_count");
      double rows = TestServers.metric(s, "dllm_batch_rows_sum");
      assertEquals(18.0, rows, "rows of the 12 requests (n 1 or 2)");
      assertTrue(calls < 12, "12 requests in " + calls + " sampler calls");
      assertTrue(TestServers.metric(s, "dllm_batch_rows_max") > 1);
    }
  }

  /**
   * MDLM's cache-skip calls the network for the whole batch once any row changed; the row cache
   * feeds it only the rows that changed, so a batch feeds each row exactly as often as the row
   * alone would be fed: the rows fed in the batched server sum to the NFEs of the requests alone.
   */
  @Test
  void aBatchFeedsTheNetworkEachRowAsOftenAsTheRowAlone() throws Exception {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      bodies.add(
          String.format(
              "{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":6,\"seed\":%d,"
                  + "\"steps\":32}",
              200 + i));
    }
    long nfeAlone = 0;
    try (DllmServer s = TestServers.start(1, 0, 64, null)) {
      for (String b : bodies) {
        HttpResponse<String> r = TestServers.post(s, b);
        assertEquals(200, r.statusCode(), r.body());
        nfeAlone += TestServers.json(r.body()).path("nfe").asLong();
      }
      assertEquals(
          (double) nfeAlone, TestServers.metric(s, "dllm_network_rows_total{source=\"fed\"}"));
    }
    try (DllmServer s = TestServers.start(8, 500, 64, null)) {
      concurrently(s, bodies);
      assertTrue(TestServers.metric(s, "dllm_batch_rows_max") > 1);
      assertEquals(
          (double) nfeAlone,
          TestServers.metric(s, "dllm_network_rows_total{source=\"fed\"}"),
          "rows fed to the network, batched");
      assertTrue(TestServers.metric(s, "dllm_network_rows_total{source=\"reused\"}") > 0);
    }
  }
}

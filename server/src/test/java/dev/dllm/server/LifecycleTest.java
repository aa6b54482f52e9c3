package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client that goes away cancels its work; a stop lets requests in flight finish. */
class LifecycleTest {

  /** Reads {@code in} until {@code marker} has been seen. */
  static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder sb = new StringBuilder();
    byte[] buf = new byte[512];
    while (!sb.toString().contains(marker)) {
      int n = in.read(buf);
      if (n < 0) {
        break;
      }
      sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /**
   * The sampler call of a streaming request whose client went away stops at its next network call.
   * The batch runner is held until the stream has seen the disconnect (its keep-alive write fails,
   * every second), so the test does not depend on how fast the sampler would otherwise finish (the
   * row cache makes most of a 4096-step run free, and under load the run could end before a write
   * failed: a race that made this test fail on a loaded machine).
   */
  @Test
  void aStreamingClientThatDisconnectsCancelsItsWork() throws Exception {
    CountDownLatch held = new CountDownLatch(1);
    DllmServer s =
        DllmServer.start(
            ServeOptions.defaults(List.of(TestServers.fixture("mdlm-tiny")))
                .withPort(0)
                .withBatching(8, 0)
                .withQueue(8)
                .withThreads(1),
            run ->
                rows -> {
                  if (held.getCount() == 0) {
                    run.accept(rows);
                    return;
                  }
                  held.countDown();
                  long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                  while (!rows.stream().allMatch(r -> r.job().cancelled())
                      && System.nanoTime() < deadline) {
                    try {
                      Thread.sleep(20);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return;
                    }
                  }
                  run.accept(rows);
                });
    try (s) {
      String body = LimitsTest.SLOW.replace("}", ",\"stream\":true}");
      try (Socket socket = new Socket("127.0.0.1", s.port())) {
        OutputStream out = socket.getOutputStream();
        out.write(
            ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                    + "\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        String head = readUntil(socket.getInputStream(), ": accepted");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        assertTrue(held.await(60, TimeUnit.SECONDS), "the batch never reached the runner");
      }
      for (int i = 0;
          i < 1200 && !(TestServers.metric(s, "dllm_cancelled_batches_total") >= 1);
          i++) {
        Thread.sleep(50);
      }
      assertEquals(1.0, TestServers.metric(s, "dllm_cancelled_batches_total"));
      assertEquals(0.0, TestServers.metric(s, "dllm_generated_tokens_total"));
      // and the server goes on serving (the runner holds only the first batch)
      HttpResponse<String> ok =
          TestServers.post(s, "{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":2}");
      assertEquals(200, ok.statusCode());
    }
  }

  @Test
  void stopFinishesRequestsInFlightAndRefusesNewOnes() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    DllmServer s =
        DllmServer.start(
            ServeOptions.defaults(List.of(TestServers.fixture("mdlm-tiny"))).withPort(0),
            run ->
                rows -> {
                  started.countDown();
                  try {
                    release.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  run.accept(rows);
                });
    String body = "{\"prompt\":\"to\",\"max_tokens\":3,\"seed\":4}";
    java.net.URI health = TestServers.uri(s, "/health");
    CompletableFuture<HttpResponse<String>> inFlight =
        TestServers.HTTP.sendAsync(
            java.net.http.HttpRequest.newBuilder(TestServers.uri(s, "/v1/completions"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(started.await(30, TimeUnit.SECONDS));
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> s.stop(30_000));
    for (int i = 0; i < 600 && TestServers.get(s, "/health").statusCode() != 503; i++) {
      Thread.sleep(10);
    }
    assertEquals(503, TestServers.get(s, "/health").statusCode());
    HttpResponse<String> refused = TestServers.post(s, body);
    assertEquals(503, refused.statusCode());
    assertEquals(
        "shutting_down", TestServers.json(refused.body()).path("error").path("code").asText());
    release.countDown();
    HttpResponse<String> finished = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(200, finished.statusCode(), finished.body());
    assertEquals("text_completion", TestServers.json(finished.body()).path("object").asText());
    stopping.get(30, TimeUnit.SECONDS);
    assertThrows(
        IOException.class,
        () ->
            TestServers.HTTP.send(
                java.net.http.HttpRequest.newBuilder(health).build(),
                HttpResponse.BodyHandlers.ofString()));
  }
}

package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The runtime's tiny export fixtures and an HTTP client for servers started on port 0. */
final class TestServers {
  private TestServers() {}

  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** The tiny export {@code name} (mdlm-tiny, ar-tiny) written for runtime-onnx's tests. */
  static Path fixture(String name) {
    Path p = Path.of("..", "runtime-onnx", "src", "test", "resources", "fixtures", name);
    if (!Files.exists(p.resolve("model.onnx"))) {
      throw new IllegalStateException("fixture " + p.toAbsolutePath() + " is missing");
    }
    return p;
  }

  /** A server on a free loopback port over both fixtures. */
  static DllmServer start(int maxBatch, long windowMillis, int queue, String key) {
    return DllmServer.start(
        ServeOptions.defaults(List.of(fixture("mdlm-tiny"), fixture("ar-tiny")))
            .withPort(0)
            .withBatching(maxBatch, windowMillis)
            .withQueue(queue)
            .withApiKey(key)
            .withThreads(1));
  }

  static URI uri(DllmServer s, String path) {
    return URI.create("http://127.0.0.1:" + s.port() + path);
  }

  static HttpResponse<String> post(DllmServer s, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(s, "/v1/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(DllmServer s, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(s, path)).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String s) throws Exception {
    return Responses.JSON.readTree(s);
  }

  /** The {@code data:} payloads of an SSE body, in order ({@code [DONE]} included). */
  static List<String> events(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      for (String line : block.split("\n")) {
        if (line.startsWith("data: ")) {
          out.add(line.substring(6));
        }
      }
    }
    return out;
  }

  /** A metric's value in a Prometheus scrape, or NaN when absent. */
  static double metric(DllmServer s, String series) throws Exception {
    for (String line : get(s, "/metrics").body().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }
}

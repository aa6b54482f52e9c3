package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad requests get a 4xx with an OpenAI-style error body naming the field, and the server keeps
 * serving.
 */
class BadInputTest {
  static DllmServer server;

  @BeforeAll
  static void start() {
    server =
        DllmServer.start(
            ServeOptions.defaults(
                    java.util.List.of(
                        TestServers.fixture("mdlm-tiny"),
                        TestServers.fixture("ar-tiny"),
                        TestServers.fixture("esolm-tiny")))
                .withPort(0)
                .withThreads(1)
                .withMaxBodyBytes(2048));
  }

  @AfterAll
  static void stop() {
    server.stop(10_000);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "malformed JSON|{\"model\":\"mdlm-tiny\",|400||not valid JSON",
        "not an object|[1,2]|400||must be a JSON object",
        "max_tokens of the wrong type|{\"model\":\"mdlm-tiny\",\"max_tokens\":\"six\"}|400|max_tokens|must be an integer",
        "max_tokens < 1|{\"model\":\"mdlm-tiny\",\"max_tokens\":0}|400|max_tokens|must be >= 1",
        "max_tokens beyond the model|{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":11}|400|max_tokens|beyond capacity",
        "n too large|{\"model\":\"mdlm-tiny\",\"n\":17}|400|n|in [1, 16]",
        "prompt of the wrong type|{\"model\":\"mdlm-tiny\",\"prompt\":[1,2]}|400|prompt|token ids",
        "prompt the tokenizer cannot encode|{\"model\":\"mdlm-tiny\",\"prompt\":\"to be ?\"}|400|prompt|cannot be encoded",
        "prompt too long|{\"model\":\"mdlm-tiny\",\"prompt\":\"to be or not to\",\"max_tokens\":1}|400|prompt|too long",
        "suffix for AR|{\"model\":\"ar-tiny\",\"prompt\":\"to\",\"suffix\":\"be\"}|400|suffix|needs a diffusion family",
        "unknown field|{\"model\":\"mdlm-tiny\",\"temperature\":0.7}|400|temperature|unknown field 'temperature'",
        "bad family option value|{\"model\":\"mdlm-tiny\",\"predictor\":\"nope\"}|400|predictor|nope",
        "bad Eso-LM option value|{\"model\":\"esolm-tiny\",\"kv_cache\":\"yes\"}|400|kv_cache|true or false",
        "max_tokens beyond Eso-LM's block|{\"model\":\"esolm-tiny\",\"prompt\":\"to\",\"max_tokens\":11}|400|max_tokens|beyond capacity",
        "Eso-LM prompt the tokenizer cannot encode|{\"model\":\"esolm-tiny\",\"prompt\":\"to ?\"}|400|prompt|cannot be encoded",
        "unknown Eso-LM option|{\"model\":\"esolm-tiny\",\"predictor\":\"ancestral\"}|400|predictor|known options: kv_cache",
        "top_p out of range|{\"model\":\"mdlm-tiny\",\"top_p\":1.5}|400|top_p|(0, 1]",
        "stream not a boolean|{\"model\":\"mdlm-tiny\",\"stream\":\"yes\"}|400|stream|true or false",
        "empty stop|{\"model\":\"mdlm-tiny\",\"stop\":\"\"}|400|stop|must not be empty",
        "model missing with several served|{\"prompt\":\"to\"}|400|model|model is required",
        "unknown model|{\"model\":\"gpt-4\"}|404|model|not served",
      })
  void isRefusedNamingTheField(String what, String body, int status, String param, String message)
      throws Exception {
    HttpResponse<String> r = TestServers.post(server, body);
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = TestServers.json(r.body()).path("error");
    assertTrue(e.path("message").asText().contains(message), r.body());
    assertEquals(
        param == null ? "" : param, e.path("param").isNull() ? "" : e.path("param").asText());
    assertTrue(e.has("type") && e.has("code"), r.body());
    // and the server keeps serving
    HttpResponse<String> ok =
        TestServers.post(server, "{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":2}");
    assertEquals(200, ok.statusCode(), ok.body());
  }

  @ParameterizedTest(name = "chunked {0}")
  @CsvSource({"false", "true"})
  void aBodyOverTheLimitIs413(boolean chunked) throws Exception {
    String big = "{\"model\":\"mdlm-tiny\",\"prompt\":\"" + "a".repeat(4096) + "\"}";
    java.net.http.HttpRequest.BodyPublisher p =
        chunked
            ? java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(big.getBytes()))
            : java.net.http.HttpRequest.BodyPublishers.ofString(big);
    HttpResponse<String> r =
        TestServers.HTTP.send(
            java.net.http.HttpRequest.newBuilder(TestServers.uri(server, "/v1/completions"))
                .POST(p)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, r.statusCode(), r.body());
    assertEquals(
        "request_too_large", TestServers.json(r.body()).path("error").path("code").asText());
    assertEquals(200, TestServers.get(server, "/health").statusCode());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"GET,/v1/nothing", "POST,/v1/chat/completions", "GET,/v1/completions"})
  void anUnknownEndpointIsAJsonErrorAsEveryOther(String method, String path) throws Exception {
    // OpenAI-style clients parse {"error": ...}; Javalin's own 404 is plain text
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(TestServers.uri(server, path));
    b =
        method.equals("GET")
            ? b.GET()
            : b.POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"));
    HttpResponse<String> r = TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonNode e = TestServers.json(r.body()).path("error");
    assertTrue(e.path("message").asText().contains(path), r.body());
    assertEquals("not_found", e.path("code").asText(), r.body());
  }

  @Test
  void thePlaygroundIsStillServedAtTheRoot() throws Exception {
    HttpResponse<String> r = TestServers.get(server, "/");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("<html") || r.body().contains("<!DOCTYPE"), r.body());
  }
}

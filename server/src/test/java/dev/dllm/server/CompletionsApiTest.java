package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.Prompt;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/completions} against the runtime API called directly ({@link DllmGenerator}, what
 * {@code dllm sample} runs): the same request and seed give the same completions, streamed or not.
 */
class CompletionsApiTest {
  static DllmServer server;

  @BeforeAll
  static void start() {
    server = TestServers.start(8, 5, 64, null);
  }

  @AfterAll
  static void stop() {
    server.stop(10_000);
  }

  static List<Generated> direct(String fixture, GenerateOptions o) {
    try (DllmGenerator g = DllmGenerator.open(TestServers.fixture(fixture))) {
      return g.generate(o);
    }
  }

  static JsonNode complete(String body) throws Exception {
    HttpResponse<String> r = TestServers.post(server, body);
    assertEquals(200, r.statusCode(), r.body());
    return TestServers.json(r.body());
  }

  @Test
  void listsTheServedModels() throws Exception {
    JsonNode m = TestServers.json(TestServers.get(server, "/v1/models").body());
    assertEquals("list", m.path("object").asText());
    assertEquals("mdlm-tiny", m.path("data").path(0).path("id").asText());
    assertEquals("mdlm", m.path("data").path(0).path("family").asText());
    assertEquals("ar", m.path("data").path(1).path("family").asText());
    assertEquals(12, m.path("data").path(1).path("length").asInt());
  }

  @Test
  void sameCompletionsAsTheRuntimeForTheSameSeed() throws Exception {
    JsonNode r =
        complete(
            "{\"model\":\"mdlm-tiny\",\"prompt\":\"to be\",\"max_tokens\":6,\"n\":3,\"seed\":7,"
                + "\"steps\":32,\"top_p\":0.9,\"stop\":\"q\"}");
    List<Generated> want =
        direct(
            "mdlm-tiny",
            GenerateOptions.defaults()
                .withNumber(3)
                .withSteps(32)
                .withSeed(7)
                .withTopP(0.9)
                .withPrompt("to be")
                .withMaxNewTokens(6)
                .withStop("q"));
    assertEquals("text_completion", r.path("object").asText());
    assertEquals(7, r.path("seed").asLong());
    assertEquals(3, r.path("choices").size());
    int tokens = 0;
    for (int i = 0; i < 3; i++) {
      JsonNode c = r.path("choices").path(i);
      assertEquals(i, c.path("index").asInt());
      assertEquals(want.get(i).completion(), c.path("text").asText(), "choice " + i);
      assertEquals(
          want.get(i).stopReason().equals("length") ? "length" : "stop",
          c.path("finish_reason").asText());
      tokens += want.get(i).promptLength();
    }
    assertEquals(tokens, r.path("usage").path("prompt_tokens").asInt());
    assertEquals(want.get(0).nfe(), r.path("nfe").asInt());
  }

  @Test
  void promptListsAndInfillsMatchTheRuntime() throws Exception {
    JsonNode r =
        complete(
            "{\"model\":\"mdlm-tiny\",\"prompt\":[\"to\",\"be \"],\"suffix\":\" is\","
                + "\"max_tokens\":3,\"n\":2,\"seed\":11,\"steps\":16}");
    List<Prompt> rows = new ArrayList<>();
    for (String p : List.of("to", "be ")) {
      rows.add(Prompt.infill(p, " is", 3));
      rows.add(Prompt.infill(p, " is", 3));
    }
    List<Generated> want =
        direct(
            "mdlm-tiny",
            GenerateOptions.defaults()
                .withNumber(4)
                .withSteps(16)
                .withSeed(11)
                .withMaxNewTokens(3)
                .withRequests(rows));
    assertEquals(4, r.path("choices").size());
    for (int i = 0; i < 4; i++) {
      assertEquals(want.get(i).completion(), r.path("choices").path(i).path("text").asText());
    }
  }

  @Test
  void arAndFamilyOptionsMatchTheRuntime() throws Exception {
    JsonNode r =
        complete(
            "{\"model\":\"ar-tiny\",\"prompt\":\"to be\",\"max_tokens\":5,\"n\":2,\"seed\":3,"
                + "\"kv_cache\":false}");
    List<Generated> want =
        direct(
            "ar-tiny",
            GenerateOptions.defaults()
                .withNumber(2)
                .withSeed(3)
                .withOption("kv_cache", "false")
                .withPrompt("to be")
                .withMaxNewTokens(5));
    for (int i = 0; i < 2; i++) {
      assertEquals(want.get(i).completion(), r.path("choices").path(i).path("text").asText());
    }
  }

  @Test
  void diffusionStreamsOneCanvasPerNetworkCallThenTheCompletion() throws Exception {
    String body =
        "{\"model\":\"mdlm-tiny\",\"prompt\":\"to be\",\"max_tokens\":6,\"seed\":5,\"steps\":8,"
            + "\"predictor\":\"ancestral\"";
    JsonNode plain = complete(body + "}");
    HttpResponse<String> r = TestServers.post(server, body + ",\"stream\":true}");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    CanvasStream stream = new CanvasStream(r.body());
    // one canvas per network call (the states after 0 … NFE − 1 calls), then the final one
    stream.check(1, 6, true);
    assertEquals(plain.path("nfe").asInt() + 1, stream.canvases.get(0).size());
    JsonNode chunk = stream.chunks.get(0);
    assertEquals(plain.path("choices").path(0).path("text").asText(), chunk.path("text").asText());
    assertEquals("length", chunk.path("finish_reason").asText());
    assertEquals(plain.path("usage"), stream.usage.path("usage"));
    assertEquals(5, stream.usage.path("seed").asLong());
  }

  @Test
  void arStreamsTextDeltasThatJoinToTheCompletion() throws Exception {
    String body = "{\"model\":\"ar-tiny\",\"prompt\":\"to\",\"max_tokens\":8,\"seed\":9,\"n\":2";
    JsonNode plain = complete(body + "}");
    HttpResponse<String> r = TestServers.post(server, body + ",\"stream\":true}");
    List<String> events = TestServers.events(r.body());
    assertEquals("[DONE]", events.get(events.size() - 1));
    StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
    String[] finish = new String[2];
    int deltas = 0;
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode j = TestServers.json(e);
      assertEquals("text_completion", j.path("object").asText(), e);
      for (JsonNode c : j.path("choices")) {
        int i = c.path("index").asInt();
        assertNull(finish[i], "a chunk after the choice finished: " + e);
        text[i].append(c.path("text").asText());
        if (c.path("finish_reason").isNull()) {
          deltas++;
        } else {
          finish[i] = c.path("finish_reason").asText();
        }
      }
    }
    assertTrue(deltas >= 2, "AR streams several deltas, got " + deltas);
    for (int i = 0; i < 2; i++) {
      JsonNode c = plain.path("choices").path(i);
      assertEquals(c.path("text").asText(), text[i].toString());
      assertEquals(c.path("finish_reason").asText(), finish[i]);
    }
  }
}

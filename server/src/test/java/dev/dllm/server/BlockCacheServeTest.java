package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MDLM's {@code predictor=confidence} with {@code cache=prefix|dual} through the server on an
 * export with a block KV graph gives the completions the runtime gives (it answered 400 "needs a
 * block KV graph, which this model does not have": the server's denoiser hid the graph).
 */
class BlockCacheServeTest {
  @Test
  void blockCacheCompletionsEqualTheRuntimes() throws Exception {
    DllmServer server =
        DllmServer.start(
            ServeOptions.defaults(List.of(TestServers.fixture("mdlm-block-tiny")))
                .withPort(0)
                .withBatching(8, 5)
                .withThreads(1));
    try (DllmGenerator g = DllmGenerator.open(TestServers.fixture("mdlm-block-tiny"))) {
      for (String cache : List.of("dual", "prefix")) {
        HttpResponse<String> r =
            TestServers.post(
                server,
                "{\"prompt\":\"to be\",\"max_tokens\":6,\"n\":2,\"seed\":5,\"steps\":6,"
                    + "\"predictor\":\"confidence\",\"block_length\":\"3\",\"cache\":\""
                    + cache
                    + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = TestServers.json(r.body());
        List<Generated> want =
            g.generate(
                GenerateOptions.defaults()
                    .withNumber(2)
                    .withSteps(6)
                    .withSeed(5)
                    .withPrompt("to be")
                    .withMaxNewTokens(6)
                    .withOption("predictor", "confidence")
                    .withOption("block_length", "3")
                    .withOption("cache", cache));
        for (int i = 0; i < 2; i++) {
          assertEquals(
              want.get(i).completion(),
              body.path("choices").path(i).path("text").asText(),
              cache + " choice " + i);
        }
        assertEquals(want.get(0).nfe(), body.path("nfe").asInt(), cache);
      }
    } finally {
      server.stop(10_000);
    }
  }
}

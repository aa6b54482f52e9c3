package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A POST refused before its body is read (401 without the key) leaves its kept-alive connection fit
 * for the next request: the Java client reuses it at once, and every request gets its answer
 * (before the fix, now and then none: "header parser received no bytes").
 */
class RefusedConnectionReuseTest {
  @Test
  void everyRefusedPostIsAnsweredOnTheReusedConnection() throws Exception {
    String key = "sk-reuse-1";
    String body = "{\"prompt\":\"to\",\"model\":\"mdlm-tiny\",\"max_tokens\":2}";
    try (DllmServer s = TestServers.start(8, 0, 8, key)) {
      for (int i = 0; i < 300; i++) {
        HttpResponse<String> r =
            i % 2 == 0
                ? TestServers.post(s, body)
                : TestServers.post(s, body, "Authorization", "Bearer wrong");
        assertEquals(401, r.statusCode(), "request " + i);
      }
      assertEquals(200, TestServers.post(s, body, "Authorization", "Bearer " + key).statusCode());
    }
  }
}

package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A real SIGTERM ({@link ProcessHandle#destroy()}) to a {@code dllm serve} child process while a
 * streamed request is in flight: the request finishes, a new one is answered 503 (not refused)
 * until then, and the process exits with 0 and closes its port after the last one is done.
 *
 * <p>The in-flight request is held open by its own client: it reads the first canvas and then
 * nothing, with a small receive buffer, so the server's writes of its ~4 000 frames block until the
 * test reads on.
 */
class ServerSigtermTest {

  @Test
  void sigtermLetsTheStreamFinishAndAnswersNewRequests503UntilThen() throws Exception {
    assumeTrue(
        !System.getProperty("os.name").toLowerCase().contains("win"),
        "destroy() is a SIGTERM on POSIX only");
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                javaBin.toString(),
                "-cp",
                cp,
                ServerMain.class.getName(),
                "serve",
                "--model",
                TestServers.fixture("mdlm-tiny").toString(),
                "--port",
                "0",
                "--threads",
                "1")
            .redirectErrorStream(true)
            .start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                  lines.add(l);
                }
              } catch (java.io.IOException e) {
                // the child went away
              }
            });
    reader.setDaemon(true);
    reader.start();
    try {
      int port = port(lines);
      String body = LimitsTest.SLOW.replace("}", ",\"stream\":true}");
      try (Socket stream = new Socket()) {
        stream.setReceiveBufferSize(2048);
        stream.connect(new InetSocketAddress("127.0.0.1", port));
        OutputStream out = stream.getOutputStream();
        out.write(
            ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                    + "\r\nConnection: close\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        String head =
            LifecycleTest.readUntil(stream.getInputStream(), "\"object\":\"dllm.canvas\"");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);

        p.toHandle().destroy(); // SIGTERM
        java.net.URI health = java.net.URI.create("http://127.0.0.1:" + port + "/health");
        int status = 0;
        for (int i = 0; i < 500 && status != 503; i++) {
          status =
              TestServers.HTTP
                  .send(
                      java.net.http.HttpRequest.newBuilder(health).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode();
          Thread.sleep(status == 503 ? 0 : 10);
        }
        assertEquals(503, status, "GET /health after SIGTERM");
        HttpResponse<String> refused =
            TestServers.HTTP.send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"to\",\"max_tokens\":2}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals(
            "shutting_down", TestServers.json(refused.body()).path("error").path("code").asText());
        assertTrue(p.isAlive(), "the server must wait for the stream in flight");

        String rest = new String(stream.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(rest.contains("\"finish_reason\""), "the stream's final chunk");
        assertTrue(rest.contains("data: [DONE]"), rest.substring(Math.max(0, rest.length() - 200)));
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server exits after the drain");
      assertEquals(0, p.exitValue(), String.join("\n", lines));
      assertTrue(lines.stream().anyMatch(l -> l.equals("dllm serve: stopped")), lines.toString());
      assertThrows(
          ConnectException.class,
          () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
              s.getOutputStream().write(0);
            }
          });
    } finally {
      p.destroyForcibly();
    }
  }

  /** Waits for the child's "dllm serve: ... on http://host:PORT/..." line. */
  private static int port(List<String> lines) throws InterruptedException {
    Pattern url = Pattern.compile("on http://[^:/]+:(\\d+)/");
    for (int i = 0; i < 1200; i++) {
      for (String l : lines) {
        Matcher m = url.matcher(l);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no URL printed by the child server: " + lines);
  }
}

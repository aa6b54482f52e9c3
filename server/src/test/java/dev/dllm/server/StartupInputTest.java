package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.ThreadCount;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Bad input met while {@code serve} and {@code bench-serve} start (an address in use, a host that
 * does not resolve, a malformed or silent {@code --url}, a missing API key, an absurd {@code
 * --threads}): exit 2 with one line naming the option, never exit 1 with an exception's name.
 */
class StartupInputTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int main(String... args) {
    out.reset();
    err.reset();
    return ServerWithoutDjlTest.main(out, err, args);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  /** Exit 2, one line, naming {@code option}, no exception class name. */
  private void assertRefused(int rc, String option, String reason) {
    String e = err();
    assertEquals(ServerMain.EXIT_BAD_INPUT, rc, e);
    assertTrue(e.contains(option) && e.contains(reason), e);
    assertEquals(1, e.strip().lines().count(), e);
    assertFalse(e.contains("Exception"), e);
  }

  private static String mdlm() {
    return TestServers.fixture("mdlm-tiny").toString();
  }

  @Test
  void aPortInUseIsBadInputNamingHostAndPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      int rc = main("serve", "--model", mdlm(), "--threads", "1", "--port", Integer.toString(port));
      assertRefused(rc, "--port " + port, "cannot listen there");
      assertTrue(err().contains("--host 127.0.0.1"), err());
    }
  }

  @Test
  void aHostThatDoesNotResolveIsNamed() {
    int rc = main("serve", "--model", mdlm(), "--threads", "1", "--host", "no-such-host.invalid");
    assertRefused(rc, "--host no-such-host.invalid", "does not resolve");
    assertFalse(err().contains("already in use"), err()); // Javalin's words for every failure
  }

  @Test
  void aMalformedOrNonHttpUrlIsNamed() {
    assertRefused(main("bench-serve", "--url", "http://[bad"), "--url http://[bad", "not a URL");
    assertRefused(main("bench-serve", "--url", "ftp://localhost:1"), "--url ftp", "http://");
    assertRefused(main("bench-serve", "--url", "http://999.0.0.1:8"), "--url", "loopback");
  }

  @Test
  void aUrlWhereNoServerListensIsNamed() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // free again once closed
    }
    assertRefused(
        main("bench-serve", "--url", "http://127.0.0.1:" + port, "--requests", "1"),
        "--url http://127.0.0.1:" + port,
        "no server answers");
  }

  @Test
  void aServerThatWantsAKeyNamesApiKey() {
    DllmServer s = TestServers.start(2, 1, 8, "secret");
    try {
      int rc = main("bench-serve", "--url", "http://127.0.0.1:" + s.port(), "--requests", "1");
      assertRefused(rc, "--url", "--api-key");
    } finally {
      s.stop(10_000);
    }
  }

  @Test
  void aWorkloadTheServerRefusesIsBadInputNamingTheServersReason() {
    // L 12: "to be" leaves 7 positions, so max_tokens 64 is refused by the server (400); the run
    // must stop at the warm-up with that reason, not time 2 phases of errors and exit 1 with NaN
    int rc =
        main(
            "bench-serve",
            "--model",
            mdlm(),
            "--threads",
            "1",
            "--requests",
            "2",
            "--clients",
            "2",
            "--prompt",
            "to be",
            "--max-tokens",
            "64",
            "--forward-batches",
            "none");
    assertRefused(rc, "--max-tokens 64", "beyond capacity");
    // a prompt the model's tokenizer cannot encode ("ROMEO:", the default, on this char model)
    rc = main("bench-serve", "--model", mdlm(), "--threads", "1", "--forward-batches", "none");
    assertRefused(rc, "--prompt \"ROMEO:\"", "cannot be encoded");
    assertFalse(out.toString(StandardCharsets.UTF_8).contains("NaN"), out.toString());
  }

  @Test
  void threadsFollowTheCliRule() throws Exception {
    String over = Integer.toString(ThreadCount.max() + 1);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // a port in use, so that a count wrongly accepted ends in a bind failure, not a running
      // server
      String port = Integer.toString(taken.getLocalPort());
      assertRefused(
          main("serve", "--model", mdlm(), "--threads", over, "--port", port),
          "--threads " + over,
          "cores");
    }
    assertRefused(main("serve", "--model", mdlm(), "--threads", "-1"), "--threads", ">= 0");
    assertEquals(0, main("serve", "--help"));
    String help = out.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ");
    assertTrue(help.contains("0 = ONNX Runtime's choice"), help);
    assertTrue(help.contains("above " + ThreadCount.max()), help);
  }
}

package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@code bench-serve --soak}: its accounting of requests and RSS, short (about 6 s in all). */
class BenchSoakTest {

  @Test
  void aShortSoakOnARealServerLosesNoRequestAndCountsWhatTheServerAnswered() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (DllmServer s = TestServers.start(8, 5, 64, null)) {
      BenchServe.Client c =
          new BenchServe.Client(
              TestServers.HTTP,
              URI.create("http://127.0.0.1:" + s.port() + "/"),
              null,
              "to",
              8,
              3,
              Long.MAX_VALUE);
      BenchSoak.Result r =
          BenchSoak.run(k -> c.send("mdlm-tiny", k), 4, 5, 2, 1, 1, BenchSoak::rssKb, out);
      String o = buf.toString(StandardCharsets.UTF_8);
      assertEquals(0, r.failed(), o);
      assertTrue(r.answered() > 4, o);
      assertEquals(r.sent(), r.answered(), o);
      // the server counts a request after its last byte: wait for the last ones
      String ok200 = "dllm_requests_total{endpoint=\"/v1/completions\",status=\"200\"}";
      for (int i = 0; i < 200 && TestServers.metric(s, ok200) < r.answered(); i++) {
        Thread.sleep(10);
      }
      assertEquals(
          (double) r.answered(),
          TestServers.metric(s, ok200),
          "the server answered 200 exactly the requests the soak counts as answered");
      // samples from 2 s on, every second, and one after the last answer (at 5 s or later)
      assertTrue(r.samples().size() >= 4, o);
      assertTrue(r.samples().get(0).seconds() >= 2, o);
      assertTrue(r.samples().get(r.samples().size() - 1).seconds() >= 5, o);
      if (BenchSoak.rssKb().isPresent()) {
        for (BenchSoak.Sample x : r.samples()) {
          assertTrue(x.rssKb() > 1024, o);
        }
        assertTrue(o.contains("RSS after warm-up"), o);
      }
      assertTrue(o.contains(r.sent() + " sent, " + r.answered() + " answered, 0 failed"), o);
    }
  }

  @Test
  void failuresAreCountedTheWarmUpWaitsForItsRequestsAndNothingIsSentAfterTheDeadline()
      throws Exception {
    AtomicLong rss = new AtomicLong(1000);
    PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    BenchSoak.Result r =
        BenchSoak.run(
            k -> {
              try {
                Thread.sleep(20);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return k % 3 == 0 ? null : JsonNodeFactory.instance.objectNode();
            },
            3,
            2,
            0,
            30,
            1,
            () -> OptionalLong.of(rss.addAndGet(10)),
            out);
    // request ids 0 .. sent-1 were all sent; those divisible by 3 failed
    assertEquals((r.sent() + 2) / 3, r.failed());
    assertEquals(r.sent(), r.answered() + r.failed());
    assertFalse(r.ok());
    assertTrue(r.seconds() >= 2 && r.seconds() < 2.5, "the clients stop at the deadline");
    // 30 requests of >= 20 ms on 3 clients take >= 200 ms: the warm-up waits for them
    assertTrue(r.samples().get(0).seconds() >= 0.2, r.samples().toString());
    assertEquals(
        r.samples().get(0).seconds() + 1, r.samples().get(1).seconds(), 0.1, "every second after");
  }

  @Test
  void theRssBarIsTenPercentOfTheFirstSample() {
    List<BenchSoak.Sample> grows =
        List.of(new BenchSoak.Sample(60, 100_000, 1), new BenchSoak.Sample(600, 111_000, 9));
    List<BenchSoak.Sample> flat =
        List.of(new BenchSoak.Sample(60, 100_000, 1), new BenchSoak.Sample(600, 91_000, 9));
    assertEquals(0.11, new BenchSoak.Result(grows, 9, 9, 0, 600).rssChange(), 1e-12);
    assertFalse(new BenchSoak.Result(grows, 9, 9, 0, 600).ok());
    assertTrue(new BenchSoak.Result(flat, 9, 9, 0, 600).ok());
    assertFalse(new BenchSoak.Result(flat, 10, 9, 0, 600).ok(), "a request lost");
    assertFalse(new BenchSoak.Result(flat, 9, 8, 1, 600).ok(), "a request failed");
  }
}

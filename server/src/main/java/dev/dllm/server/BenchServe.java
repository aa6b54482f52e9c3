package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.InvalidInputException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm bench-serve}: the same fixed workload (request k with seed k) sent to a server first
 * one request at a time, then by C concurrent clients, in one run; prints requests/s, generated
 * tokens/s, p50/p95/p99 latency and errors of both and the ratio, and checks that every response is
 * well formed and that each request's text is the same both times (batching does not change it).
 * Loopback only; bounded by the request count and {@code --max-seconds}; stops by itself.
 */
final class BenchServe {
  private BenchServe() {}

  static Options options() {
    Options o = ServerMain.serveOptions();
    o.addOption(ServerMain.opt("url", "URL", "a running server on loopback (default: start one)"));
    o.addOption(ServerMain.opt("clients", "C", "concurrent clients (default 8)"));
    o.addOption(ServerMain.opt("requests", "N", "requests per phase (default 32)"));
    o.addOption(ServerMain.opt("steps", "T", "denoising steps per request (default 64)"));
    o.addOption(ServerMain.opt("max-tokens", "M", "max_tokens per request (default 64)"));
    o.addOption(ServerMain.opt("prompt", "TEXT", "prompt of every request (default \"ROMEO:\")"));
    o.addOption(ServerMain.opt("max-seconds", "S", "time limit of the whole run (default 600)"));
    o.addOption(
        ServerMain.opt(
            "forward-batches",
            "LIST",
            "batch sizes B of the raw network call [B, L] to time first, in-process server only"
                + " (default 1,2,4,8; none to skip)"));
    o.addOption(
        ServerMain.opt(
            "soak",
            "SECONDS",
            "instead of the two phases: C clients back to back for SECONDS, sampling the RSS of"
                + " the in-process server; checks it stays within ±10% after the warm-up and that"
                + " no request is lost"));
    o.addOption(
        ServerMain.opt("warmup", "S", "soak: seconds before the first RSS sample (default 60)"));
    o.addOption(
        ServerMain.opt(
            "warmup-requests",
            "N",
            "soak: and requests answered before the first RSS sample (default 8 per client)"));
    o.addOption(ServerMain.opt("rss-every", "N", "soak: seconds between RSS samples (default 10)"));
    return o;
  }

  /** One phase's numbers. */
  record Phase(String name, int sent, int errors, double seconds, long tokens, long[] nanos) {
    double requestsPerSecond() {
      return (sent - errors) / seconds;
    }

    double tokensPerSecond() {
      return tokens / seconds;
    }

    double percentileMillis(double q) {
      long[] s = nanos.clone();
      Arrays.sort(s);
      if (s.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(q * s.length) - 1;
      return s[Math.max(0, Math.min(s.length - 1, i))] / 1e6;
    }
  }

  static int run(CommandLine cmd, PrintStream out, Map<String, String> env) throws Exception {
    int clients = ServerMain.intOpt(cmd, "clients", 8, 1, 256);
    int requests = ServerMain.intOpt(cmd, "requests", 32, 1, 100_000);
    int steps = ServerMain.intOpt(cmd, "steps", 64, 1, CompletionRequest.MAX_STEPS);
    int maxTokens = ServerMain.intOpt(cmd, "max-tokens", 64, 1, Integer.MAX_VALUE);
    int maxSeconds = ServerMain.intOpt(cmd, "max-seconds", 600, 1, 86_400);
    String prompt = cmd.getOptionValue("prompt", "ROMEO:");
    int soak = ServerMain.intOpt(cmd, "soak", 0, 1, 86_400);
    int warmup = ServerMain.intOpt(cmd, "warmup", Math.min(60, Math.max(0, soak - 1)), 0, 86_400);
    int warmupRequests = ServerMain.intOpt(cmd, "warmup-requests", 8 * clients, 0, 1 << 30);
    int rssEvery = ServerMain.intOpt(cmd, "rss-every", 10, 1, 86_400);
    if (cmd.hasOption("soak") && cmd.hasOption("url")) {
      throw new InvalidInputException(
          "--soak samples the RSS of the in-process server: leave out --url");
    }
    if (cmd.hasOption("soak") && warmup >= soak) {
      throw new InvalidInputException(
          "--warmup " + warmup + " must be below --soak " + soak + " seconds");
    }
    int[] forwardBatches = ForwardScaling.parse(cmd.getOptionValue("forward-batches", "1,2,4,8"));
    DllmServer server = null;
    URI base;
    String key = cmd.getOptionValue("api-key", env.get("DLLM_API_KEY"));
    if (cmd.hasOption("url")) {
      base = serverUrl(cmd.getOptionValue("url"));
    } else {
      ServeOptions o = ServerMain.serveSettings(cmd, env).withPort(0);
      if (!loopback(o.host())) {
        throw new InvalidInputException("--host " + o.host() + ": bench-serve binds loopback only");
      }
      server = DllmServer.start(o);
      base = URI.create("http://127.0.0.1:" + server.port() + "/");
    }
    try {
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(10))
              .build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
      Client c = new Client(http, base, key, prompt, steps, maxTokens, deadline);
      String model = c.modelId();
      out.printf(
          "dllm bench-serve: model %s, prompt %s, T %d, max_tokens %d, %d requests per phase%n",
          model, Responses.JSON.writeValueAsString(prompt), steps, maxTokens, requests);
      BenchWarmUp.check(c.post(model, -1), c); // warm-up, not counted; refused: exit 2
      if (soak > 0) {
        out.printf(
            "soak: %d clients for %d s, RSS every %d s after a warm-up of %d s and %d requests%n",
            clients, soak, rssEvery, warmup, warmupRequests);
        BenchSoak.Result r =
            BenchSoak.run(
                k -> c.send(model, k),
                clients,
                soak,
                warmup,
                warmupRequests,
                rssEvery,
                BenchSoak::rssKb,
                out);
        return r.ok() ? 0 : 1;
      }
      if (server != null && forwardBatches.length > 0) {
        ServedModel m = server.models().iterator().next();
        int length = m.length();
        ForwardScaling.print(
            out,
            length,
            ForwardScaling.time(
                m.generator().model().denoiser(),
                length,
                Math.max(0, m.generator().model().metadata().specials().mask()),
                forwardBatches,
                10));
      }
      String[] one = new String[requests];
      String[] many = new String[requests];
      Phase sequential = phase("one at a time", c, model, requests, 1, one);
      Phase concurrent = phase(clients + " clients", c, model, requests, clients, many);
      int mismatches = 0;
      for (int k = 0; k < requests; k++) {
        if (one[k] != null && many[k] != null && !one[k].equals(many[k])) {
          mismatches++;
        }
      }
      out.printf(
          "%-16s %10s %10s %9s %9s %9s %7s%n",
          "mode", "req/s", "tokens/s", "p50 ms", "p95 ms", "p99 ms", "errors");
      for (Phase p : List.of(sequential, concurrent)) {
        out.printf(
            "%-16s %10.2f %10.1f %9.0f %9.0f %9.0f %7d%n",
            p.name(),
            p.requestsPerSecond(),
            p.tokensPerSecond(),
            p.percentileMillis(0.50),
            p.percentileMillis(0.95),
            p.percentileMillis(0.99),
            p.errors() + (requests - p.sent()));
      }
      out.printf(
          "ratio %s / one at a time: %.2fx requests/s, %.2fx tokens/s; texts that differ between"
              + " the two phases: %d of %d%n",
          concurrent.name(),
          concurrent.requestsPerSecond() / sequential.requestsPerSecond(),
          concurrent.tokensPerSecond() / sequential.tokensPerSecond(),
          mismatches,
          requests);
      boolean ok =
          sequential.errors() == 0
              && concurrent.errors() == 0
              && sequential.sent() == requests
              && concurrent.sent() == requests
              && mismatches == 0;
      return ok ? 0 : 1;
    } finally {
      if (server != null) {
        server.stop(10_000);
      }
    }
  }

  /**
   * The base URI of {@code --url}: an {@code http} URL of a loopback host.
   *
   * @throws InvalidInputException naming {@code --url} for a malformed URL, another scheme or a
   *     host that is not loopback
   */
  static URI serverUrl(String url) {
    URI u;
    try {
      u = new URI(url.replaceAll("/+$", "") + "/");
    } catch (java.net.URISyntaxException e) {
      throw new InvalidInputException(
          "--url " + url + ": not a URL (" + e.getReason() + "); expected http://127.0.0.1:PORT");
    }
    if (!"http".equalsIgnoreCase(u.getScheme())) {
      throw new InvalidInputException(
          "--url " + url + ": expected http://127.0.0.1:PORT (an http URL of dllm serve)");
    }
    if (!loopback(u.getHost())) {
      throw new InvalidInputException(
          "--url " + url + ": bench-serve only targets loopback servers");
    }
    return u;
  }

  /** Whether {@code host} is {@code localhost} or a loopback address literal (no name lookup). */
  static boolean loopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.replaceAll("^\\[|\\]$", "");
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    boolean literal = h.matches("[0-9.]+") || h.contains(":");
    try {
      return literal && InetAddress.getByName(h).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false; // not a valid literal (e.g. 999.0.0.1)
    }
  }

  private static Phase phase(
      String name, Client c, String model, int requests, int clients, String[] texts)
      throws Exception {
    AtomicInteger nextRequest = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    long[] nanos = new long[requests];
    long[] tokens = new long[requests];
    boolean[] sent = new boolean[requests];
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      fs.add(
          pool.submit(
              () -> {
                for (int k; (k = nextRequest.getAndIncrement()) < requests; ) {
                  if (System.nanoTime() > c.deadline) {
                    return;
                  }
                  long s = System.nanoTime();
                  JsonNode r = c.send(model, k);
                  nanos[k] = System.nanoTime() - s;
                  sent[k] = true;
                  if (r == null) {
                    errors.incrementAndGet();
                  } else {
                    texts[k] = r.path("choices").path(0).path("text").asText();
                    tokens[k] = r.path("usage").path("completion_tokens").asLong();
                  }
                }
              }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    int n = 0;
    List<Long> done = new ArrayList<>();
    long total = 0;
    for (int k = 0; k < requests; k++) {
      if (sent[k]) {
        n++;
        done.add(nanos[k]);
        total += tokens[k];
      }
    }
    return new Phase(
        name, n, errors.get(), seconds, total, done.stream().mapToLong(Long::longValue).toArray());
  }

  /** Sends the workload's requests and checks each response's shape. */
  record Client(
      HttpClient http,
      URI base,
      String key,
      String prompt,
      int steps,
      int maxTokens,
      long deadline) {

    String modelId() throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("v1/models")).GET();
      if (key != null) {
        b.header("Authorization", "Bearer " + key);
      }
      HttpResponse<String> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
        throw new InvalidInputException(
            "--url "
                + base
                + ": no server answers there ("
                + (e instanceof java.net.http.HttpConnectTimeoutException
                    ? "connection timed out"
                    : "connection refused")
                + "); start dllm serve first, or leave --url out to start one");
      }
      if (r.statusCode() == 401) {
        throw new InvalidInputException(
            "--url "
                + base
                + ": the server wants an API key; give its --api-key (or DLLM_API_KEY)");
      }
      if (r.statusCode() != 200) {
        throw new InvalidInputException(
            "--url "
                + base
                + ": GET /v1/models answered "
                + r.statusCode()
                + "; is it dllm serve?");
      }
      return Responses.JSON.readTree(r.body()).path("data").path(0).path("id").asText();
    }

    /** Request k (seed k; k &lt; 0 for the warm-up), or null for an error or a malformed answer. */
    JsonNode send(String model, int k) {
      try {
        HttpResponse<String> r = post(model, k);
        if (r.statusCode() != 200) {
          return null;
        }
        JsonNode j = Responses.JSON.readTree(r.body());
        boolean wellFormed =
            j.path("object").asText().equals("text_completion")
                && j.path("choices").size() == 1
                && j.path("choices").path(0).path("text").isTextual()
                && j.path("choices").path(0).path("finish_reason").isTextual()
                && j.path("usage").path("completion_tokens").isIntegralNumber()
                && j.path("nfe").isIntegralNumber();
        return wellFormed ? j : null;
      } catch (Exception e) {
        return null;
      }
    }

    /** Sends request k (seed k; k &lt; 0 for the warm-up) and returns the raw answer. */
    HttpResponse<String> post(String model, int k) throws Exception {
      ObjectNode body = Responses.JSON.createObjectNode();
      body.put("model", model);
      body.put("prompt", prompt);
      body.put("max_tokens", maxTokens);
      body.put("steps", steps);
      body.put("seed", k < 0 ? 12345 : k);
      HttpRequest.Builder b =
          HttpRequest.newBuilder(base.resolve("v1/completions"))
              .timeout(Duration.ofMinutes(5))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
      if (key != null) {
        b.header("Authorization", "Bearer " + key);
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}

package dev.dllm.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.OrtConfig;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.javalin.util.JavalinBindException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of {@code dllm serve}, on Javalin (Jetty 12), over the ONNX-only runtime:
 *
 * <ul>
 *   <li>{@code GET /health}: {@code {"status":"ok"}} (503 {@code "stopping"} while stopping), never
 *       behind the API key;
 *   <li>{@code GET /v1/models}: the served exports, OpenAI's list shape plus family and length;
 *   <li>{@code POST /v1/completions}: {@link CompletionsHandler};
 *   <li>{@code GET /metrics}: {@link ServerMetrics} in Prometheus text format;
 *   <li>{@code GET /}: the browser playground, static files from the class path folder {@code
 *       playground/} (index.html, playground.js, playground.css).
 * </ul>
 *
 * With an API key, every endpoint but {@code /health} and the playground's files needs {@code
 * Authorization: Bearer KEY} (401 otherwise); the key is compared in constant time and never
 * logged. {@link #stop} stops cleanly: new completions get 503, queued and running ones finish,
 * then the port closes.
 */
public final class DllmServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DllmServer.class);
  private final Map<String, ServedModel> models;
  private final ServerMetrics metrics = new ServerMetrics();
  private final Batcher batcher;
  private final Javalin app;
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * Counts every request from the moment Jetty dispatches it until its response is complete: {@link
   * #stop} waits for this count, not only for the completions in our handler, since a request still
   * in Jetty's or Javalin's hands (parsed, not yet routed) is in flight too.
   */
  private final StatisticsHandler jettyRequests = new StatisticsHandler();

  private volatile boolean stopping;
  private boolean closed;

  private DllmServer(
      ServeOptions o,
      Map<String, ServedModel> models,
      UnaryOperator<Consumer<List<Job.Row>>> around) {
    this.models = models;
    this.batcher =
        new Batcher(
            o.maxBatch(),
            o.batchWindowMillis(),
            o.queue(),
            o.workers(),
            around.apply(new BatchRun(metrics)::run),
            metrics);
    CompletionsHandler completions = new CompletionsHandler(models, batcher, o.maxBodyBytes());
    byte[] key =
        o.apiKey() == null ? null : ("Bearer " + o.apiKey()).getBytes(StandardCharsets.UTF_8);
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.startup.showOldJavalinVersionWarning = false;
              c.http.maxRequestSize = o.maxBodyBytes();
              c.jetty.host = o.host();
              c.jetty.port = o.port();
              // Javalin nests its own handler inside this one
              c.jetty.modifyServer(server -> server.setHandler(jettyRequests));
              if (DllmServer.class.getResource("/playground") != null) {
                c.staticFiles.add("/playground", Location.CLASSPATH);
              }
              c.requestLogger.http(
                  (ctx, ms) ->
                      LOG.info(
                          "{} {} {} {} ms",
                          ctx.method(),
                          ctx.path(),
                          ctx.statusCode(),
                          ms.intValue()));
              c.routes.before(ctx -> authorize(ctx, key, o.maxBodyBytes()));
              c.routes.get("/health", this::health);
              c.routes.get("/v1/models", this::listModels);
              c.routes.get(
                  "/metrics",
                  ctx ->
                      ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                          .result(metrics.scrape()));
              c.routes.post("/v1/completions", ctx -> completion(ctx, completions));
              c.routes.exception(
                  ApiException.class,
                  (e, ctx) -> {
                    try {
                      error(ctx, e);
                    } catch (java.io.IOException gone) {
                      LOG.debug("client went away before its error", gone);
                    }
                  });
              c.routes.error(
                  404,
                  ctx -> { // no route (an unknown model's 404 is already written and committed)
                    if (!ctx.res().isCommitted()) {
                      error(
                          ctx,
                          new ApiException(
                              404,
                              "invalid_request_error",
                              null,
                              "not_found",
                              "no endpoint "
                                  + ctx.method()
                                  + " "
                                  + ctx.path()
                                  + "; the API is GET /v1/models, POST /v1/completions, GET"
                                  + " /health, GET /metrics"));
                    }
                  });
              c.routes.after(ctx -> metrics.request(endpoint(ctx), ctx.statusCode()));
            });
  }

  /**
   * Opens the exports and starts serving.
   *
   * @throws dev.dllm.api.InvalidInputException for an export that cannot be opened
   */
  public static DllmServer start(ServeOptions o) {
    return start(o, run -> run);
  }

  /** {@link #start(ServeOptions)} with the batch runner wrapped by {@code around} (test seam). */
  static DllmServer start(ServeOptions o, UnaryOperator<Consumer<List<Job.Row>>> around) {
    OrtConfig ort = OrtConfig.defaults().withThreads(o.threads());
    Map<String, ServedModel> models = ServedModel.open(o.models(), ort);
    DllmServer s;
    try {
      s = new DllmServer(o, models, around);
      s.app.start();
    } catch (RuntimeException e) {
      models.values().forEach(m -> m.generator().close());
      throw e instanceof JavalinBindException ? cannotBind(o, e) : e;
    }
    return s;
  }

  /**
   * The user's message for an address the server cannot bind: Javalin reports every bind failure
   * (an unknown host, an address not of this machine) as "Port already in use", so the reason is
   * taken from the innermost cause.
   */
  static InvalidInputException cannotBind(ServeOptions o, Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why =
        root instanceof java.nio.channels.UnresolvedAddressException
            ? "the host name does not resolve"
            : root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    return new InvalidInputException(
        "--host "
            + o.host()
            + " --port "
            + o.port()
            + ": cannot listen there ("
            + why
            + "); choose another --port (0 = any free one) or a --host of this machine",
        e);
  }

  /** The bound port. */
  public int port() {
    return app.port();
  }

  /** The served model ids, in {@code --model} order. */
  public java.util.List<String> modelIds() {
    return java.util.List.copyOf(models.keySet());
  }

  /** The served models, in {@code --model} order (bench-serve times their network calls). */
  java.util.Collection<ServedModel> models() {
    return models.values();
  }

  /** The playground's own files: public (they hold no data); its API calls carry the key. */
  private static final java.util.Set<String> PLAYGROUND =
      java.util.Set.of("/", "/index.html", "/playground.js", "/playground.css");

  private void authorize(Context ctx, byte[] key, long maxBody) {
    if (key == null
        || ctx.path().equals("/health")
        || (ctx.method() == io.javalin.http.HandlerType.GET && PLAYGROUND.contains(ctx.path()))) {
      return;
    }
    String given = ctx.header("Authorization");
    byte[] g = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(g, key)) {
      drainBody(ctx, maxBody);
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiException(
          401,
          "invalid_request_error",
          null,
          "invalid_api_key",
          given == null
              ? "missing API key: send the header Authorization: Bearer <key>"
              : "wrong API key in the Authorization header");
    }
  }

  /**
   * Reads and drops the body of a request refused before its handler (up to {@code maxBody} + 1
   * bytes): Jetty closes a kept-alive connection whose request body was left unread, and a client
   * that reuses it at once (Java's HttpClient) got no answer to its next request. A larger body is
   * left: that connection closes, as it would with 413.
   */
  private static void drainBody(Context ctx, long maxBody) {
    try {
      java.io.InputStream in = ctx.req().getInputStream();
      byte[] buf = new byte[8192];
      long left = maxBody + 1;
      int n;
      while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        left -= n;
      }
    } catch (java.io.IOException e) {
      LOG.debug("client went away before its 401", e);
    }
  }

  private void health(Context ctx) {
    ctx.status(stopping ? 503 : 200).json(Map.of("status", stopping ? "stopping" : "ok"));
  }

  private void listModels(Context ctx) {
    ObjectNode root = Responses.JSON.createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    for (ServedModel m : models.values()) {
      ObjectNode d = data.addObject();
      d.put("id", m.id());
      d.put("object", "model");
      d.put("created", 0);
      d.put("owned_by", "dllm");
      d.put("family", m.family());
      d.put("length", m.length());
    }
    ctx.contentType("application/json").result(root.toString());
  }

  private void completion(Context ctx, CompletionsHandler handler) throws Exception {
    long t0 = System.nanoTime();
    inFlight.incrementAndGet();
    try {
      if (stopping) {
        throw new ApiException(
            503, "server_error", null, "shutting_down", "the server is stopping");
      }
      handler.handle(ctx);
    } catch (ApiException e) {
      error(ctx, e);
    } finally {
      inFlight.decrementAndGet();
      metrics.latency(System.nanoTime() - t0);
    }
  }

  private static void error(Context ctx, ApiException e) throws java.io.IOException {
    if (e.status() == 429) {
      ctx.header("Retry-After", "1");
    }
    send(ctx, e.status(), Responses.error(e).toString());
  }

  /**
   * Writes a whole JSON response now and completes it, so that a {@link #stop} that follows the
   * handler cannot cut it off.
   */
  static void send(Context ctx, int status, String json) throws java.io.IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ctx.status(status);
    ctx.res().setContentType("application/json");
    ctx.res().setContentLength(bytes.length);
    try (var out = ctx.res().getOutputStream()) {
      out.write(bytes);
    }
  }

  private static String endpoint(Context ctx) {
    String p = ctx.path();
    return switch (p) {
      case "/health", "/v1/models", "/v1/completions", "/metrics" -> p;
      default -> "other";
    };
  }

  /**
   * Stops cleanly: new completions get 503, queued and running ones finish (up to {@code
   * graceMillis}), then the server closes its port and the exports.
   *
   * <p>The port stays open, answering 503, until no request is in flight anywhere in Jetty (not
   * only in our handler) twice {@link #QUIET_MILLIS} apart; only then is Jetty stopped. Jetty's own
   * graceful stop is not used: it closes the connectors first, so new clients would be refused
   * instead of answered 503.
   */
  public synchronized void stop(long graceMillis) {
    if (closed) {
      return;
    }
    stopping = true;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
    try {
      if (!batcher.drain(graceMillis)) {
        LOG.warn("stopping with requests still running after {} ms", graceMillis);
      }
      int quiet = 0;
      while (quiet < 2 && System.nanoTime() < deadline) {
        boolean idle = jettyRequests.getRequestsActive() == 0 && inFlight.get() == 0;
        quiet = idle ? quiet + 1 : 0;
        Thread.sleep(idle ? QUIET_MILLIS : 10);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    app.stop();
    batcher.close();
    models.values().forEach(m -> m.generator().close());
    closed = true;
  }

  /** How long the server must be seen idle (twice) before {@link #stop} closes the port. */
  static final long QUIET_MILLIS = 50;

  /** {@link #stop} with 30 s of grace. */
  @Override
  public void close() {
    stop(30_000);
  }
}

package dev.dllm.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics ({@code GET /metrics}, text format 0.0.4):
 *
 * <ul>
 *   <li>{@code dllm_requests_total{endpoint,status}}: answered requests by HTTP status;
 *   <li>{@code dllm_queue_depth}: requests with rows waiting for a batch;
 *   <li>{@code dllm_batch_rows}: rows per sampler call (a summary with a histogram);
 *   <li>{@code dllm_generated_tokens_total}: completion tokens (before EOS) of finished rows;
 *   <li>{@code dllm_network_rows_total{source}}: rows of full network calls, {@code fed} to the
 *       network or {@code reused} from the previous call because they did not change ({@link
 *       RowCache});
 *   <li>{@code dllm_cancelled_batches_total}: sampler calls stopped because every client left;
 *   <li>{@code dllm_request_seconds}: latency of completions, arrival to last byte (histogram).
 * </ul>
 */
final class ServerMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final DistributionSummary batchRows;
  private final Counter tokens;
  private final Counter cancelled;
  private final Timer latency;

  ServerMetrics() {
    batchRows =
        DistributionSummary.builder("dllm.batch.rows")
            .description("rows sampled together in one sampler call")
            .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
            .register(registry);
    tokens =
        Counter.builder("dllm.generated.tokens")
            .description("completion tokens of finished rows")
            .register(registry);
    cancelled =
        Counter.builder("dllm.cancelled.batches")
            .description("sampler calls stopped because every client went away")
            .register(registry);
    latency =
        Timer.builder("dllm.request")
            .description("completion latency, arrival to the last byte")
            .serviceLevelObjectives(
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofMillis(2500),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(30),
                Duration.ofSeconds(60))
            .register(registry);
  }

  /** Registers the queue depth gauge. */
  void queueDepth(IntSupplier depth) {
    Gauge.builder("dllm.queue.depth", depth::getAsInt)
        .description("requests with rows waiting for a batch")
        .register(registry);
  }

  void request(String endpoint, int status) {
    registry
        .counter("dllm.requests", "endpoint", endpoint, "status", String.valueOf(status))
        .increment();
  }

  void batch(int rows) {
    batchRows.record(rows);
  }

  void generated(int n) {
    tokens.increment(n);
  }

  void networkRows(long fed, long reused) {
    registry.counter("dllm.network.rows", "source", "fed").increment(fed);
    registry.counter("dllm.network.rows", "source", "reused").increment(reused);
  }

  void cancelledBatch() {
    cancelled.increment();
  }

  void latency(long nanos) {
    latency.record(Duration.ofNanos(nanos));
  }

  /** The Prometheus text exposition. */
  String scrape() {
    return registry.scrape();
  }
}

package dev.dllm.server;

import java.nio.file.Path;
import java.util.List;

/**
 * The settings of {@code dllm serve} ({@link DllmServer}).
 *
 * @param models export folders to serve (at least one)
 * @param host address to bind; loopback ({@code 127.0.0.1}) unless told otherwise
 * @param port TCP port, or 0 for a free one
 * @param maxBatch most rows (choices) sampled in one network call
 * @param batchWindowMillis how long the oldest queued row waits for others to share its call
 * @param queue most requests waiting for a batch; more get 429
 * @param apiKey the bearer token every endpoint but {@code /health} requires, or null for none
 * @param threads ONNX Runtime intra-op threads, or 0 for its default
 * @param workers sampler calls that may run at once
 * @param maxBodyBytes largest request body; larger ones get 413
 */
public record ServeOptions(
    List<Path> models,
    String host,
    int port,
    int maxBatch,
    long batchWindowMillis,
    int queue,
    String apiKey,
    int threads,
    int workers,
    long maxBodyBytes) {
  /** Defaults: loopback, port 8080, batches of 8 rows, a 5 ms window, 64 queued, 1 MiB bodies. */
  public static ServeOptions defaults(List<Path> models) {
    return new ServeOptions(models, "127.0.0.1", 8080, 8, 5, 64, null, 0, 1, 1 << 20);
  }

  public ServeOptions {
    models = List.copyOf(models);
  }

  public ServeOptions withPort(int p) {
    return new ServeOptions(
        models,
        host,
        p,
        maxBatch,
        batchWindowMillis,
        queue,
        apiKey,
        threads,
        workers,
        maxBodyBytes);
  }

  public ServeOptions withBatching(int max, long windowMillis) {
    return new ServeOptions(
        models, host, port, max, windowMillis, queue, apiKey, threads, workers, maxBodyBytes);
  }

  public ServeOptions withQueue(int q) {
    return new ServeOptions(
        models, host, port, maxBatch, batchWindowMillis, q, apiKey, threads, workers, maxBodyBytes);
  }

  public ServeOptions withApiKey(String key) {
    return new ServeOptions(
        models,
        host,
        port,
        maxBatch,
        batchWindowMillis,
        queue,
        key,
        threads,
        workers,
        maxBodyBytes);
  }

  public ServeOptions withThreads(int t) {
    return new ServeOptions(
        models, host, port, maxBatch, batchWindowMillis, queue, apiKey, t, workers, maxBodyBytes);
  }

  public ServeOptions withMaxBodyBytes(long b) {
    return new ServeOptions(
        models, host, port, maxBatch, batchWindowMillis, queue, apiKey, threads, workers, b);
  }
}

package dev.dllm.server;

import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.PromptLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One accepted completion request on its way through the {@link Batcher}: its choices as planned
 * rows, each with its own random stream (choice c draws from the c-th split of {@code new
 * Rng(seed)}, as {@code dllm sample} does), the results as they arrive, and for a streamed request
 * the events its handler writes out.
 */
final class Job {
  /** What {@link BatchRun} reports to a streamed request's handler. */
  sealed interface Event permits Frame, Finished {}

  /**
   * The canvas of choice {@code index} after {@code step} network calls: the ids of its generated
   * span, {@link Conditioning#FREE} where nothing was fed yet (AR, Eso-LM's KV cache). A frame that
   * is not {@code closing} is the canvas the network was fed at its {@code nfe}-th call (nfe = step
   * + 1); the {@code closing} frame of a diffusion choice is the sampler's output after its last
   * call (step = nfe = the batch's NFE).
   */
  record Frame(int index, int step, int nfe, int[] span, boolean closing) implements Event {}

  /** Choice {@code result.index()} is done. */
  record Finished(RowResult result) implements Event {}

  /**
   * One finished choice.
   *
   * @param index the choice, 0 … prompts·n − 1
   * @param text the completion (cut at EOS and before the first stop string)
   * @param finishReason OpenAI's {@code stop} (EOS or a stop string) or {@code length}
   * @param promptTokens P, the given tokens before the span (BOS included)
   * @param completionTokens ids of the span before the first EOS
   * @param nfe network calls of the batch it was drawn in
   * @param batchRows rows sampled together with it (itself included)
   */
  record RowResult(
      int index,
      String text,
      String finishReason,
      int promptTokens,
      int completionTokens,
      int nfe,
      int batchRows) {}

  /** Rows of jobs with equal keys may share one sampler call. */
  record Key(ServedModel model, int steps, double topP, Map<String, String> options, int row) {}

  /** One row (choice) of a job, the unit of batching. */
  record Row(Job job, int index, PromptLayout.Row layout, Rng stream) {}

  final String id;
  final ServedModel model;
  final CompletionRequest request;
  final long seed;
  final long createdEpochSeconds = System.currentTimeMillis() / 1000;
  final long startNanos = System.nanoTime();
  final Key key;
  final List<Row> rows;
  final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  final CompletableFuture<List<RowResult>> done = new CompletableFuture<>();
  private final RowResult[] results;
  private int remaining;
  private volatile boolean cancelled;

  /**
   * @param layout the rows of {@code options} ({@code DllmGenerator#plan})
   * @param prefixOnly whether the family only continues a prefix (its rows may differ in length)
   */
  Job(
      String id,
      ServedModel model,
      CompletionRequest request,
      long seed,
      GenerateOptions options,
      List<PromptLayout.Row> layout,
      boolean prefixOnly) {
    this.id = id;
    this.model = model;
    this.request = request;
    this.seed = seed;
    int rowLength = prefixOnly ? -1 : layout.get(0).rowLength();
    this.key = new Key(model, options.steps(), options.topP(), options.familyOptions(), rowLength);
    Rng[] streams = Conditioning.rowStreams(new Rng(seed), layout.size());
    List<Row> r = new ArrayList<>();
    for (int i = 0; i < layout.size(); i++) {
      r.add(new Row(this, i, layout.get(i), streams[i]));
    }
    this.rows = List.copyOf(r);
    this.results = new RowResult[layout.size()];
    this.remaining = layout.size();
  }

  /** Whether canvases are reported (streamed requests). */
  boolean streamed() {
    return request.stream();
  }

  /** Marks the job cancelled: its client went away. Rows not yet sampled are dropped. */
  void cancel() {
    cancelled = true;
    done.cancel(false);
  }

  boolean cancelled() {
    return cancelled;
  }

  /** Records a finished row; completes {@link #done} with the last one. */
  synchronized void finish(RowResult r) {
    if (results[r.index()] != null) {
      throw new IllegalStateException("row " + r.index() + " of " + id + " finished twice");
    }
    results[r.index()] = r;
    if (streamed()) {
      events.add(new Finished(r));
    }
    if (--remaining == 0) {
      done.complete(List.copyOf(Arrays.asList(results)));
    }
  }

  /** Fails the job (every row) with {@code e}. */
  void fail(Throwable e) {
    done.completeExceptionally(e);
  }
}

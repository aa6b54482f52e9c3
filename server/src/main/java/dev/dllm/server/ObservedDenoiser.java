package dev.dllm.server;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.sample.Conditioning;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * The served model's {@link Denoiser} as one batch's sampler sees it: before every network call it
 * stops the batch when every request in it was cancelled (its client went away), and it keeps the
 * canvas of each row — the ids the network is fed, z_t — and hands the generated span of each
 * streamed row to its job as a {@link Job.Frame}.
 *
 * <p>How the canvas is read: a sampler that reports its own canvas ({@link
 * dev.dllm.api.sample.Sampler#canvasListener}: Eso-LM, whose window KV cache, groups of rows and
 * finished rows mean that no call shows every row at every position) hands it to {@link #frame}
 * before each call; otherwise a full forward pass {@code [B, R]} is the canvas itself (MDLM, Duo),
 * the causal KV-cache decoder (AR) writes each fed token at the decoder's position, so an AR frame
 * shows the tokens drawn up to the previous step, and the block KV cache (MDLM/Duo {@code
 * cache=prefix|dual}) writes a refresh's rows whole and a slice's tokens at their positions. A
 * forward pass of another length or of fewer rows (semi-autoregressive MDLM strides, rows that are
 * done) leaves the canvas as it was.
 *
 * <p>A full forward pass feeds the network only the rows whose input changed since the previous
 * pass ({@link RowCache}); the sampler still sees one call of the whole batch.
 */
final class ObservedDenoiser implements Denoiser {
  private final Denoiser delegate;
  private final List<Job.Row> rows;
  private final int[][] canvas;
  private final boolean anyStreamed;
  private final RowCache rowCache;
  private boolean samplerReports;
  private int calls;

  /**
   * @param delegate the model's denoiser
   * @param rows the batch's rows, in row order
   * @param given the batch's conditioning {@code [B, R]}: the starting canvas
   */
  ObservedDenoiser(Denoiser delegate, List<Job.Row> rows, Conditioning given) {
    this.delegate = delegate;
    this.rows = rows;
    this.canvas = new int[rows.size()][];
    for (int b = 0; b < rows.size(); b++) {
      canvas[b] = given.row(b).ids();
    }
    this.anyStreamed = rows.stream().anyMatch(r -> r.job().streamed());
    this.rowCache = new RowCache(delegate);
  }

  /**
   * From now on the frames come from the sampler ({@link #frame}), not from the network's inputs.
   */
  void samplerReports() {
    samplerReports = true;
  }

  /**
   * The sampler's canvas after {@code step} calls, just before the next ({@link
   * dev.dllm.api.sample.CanvasListener}).
   *
   * @param ids {@code [B, R]} row-major, position order
   */
  void frame(int step, int[] ids) {
    int length = canvas[0].length;
    for (int b = 0; b < canvas.length; b++) {
      System.arraycopy(ids, b * length, canvas[b], 0, length);
    }
    emit(step);
  }

  /** The full calls' row cache (its counts of rows fed and reused). */
  RowCache rowCache() {
    return rowCache;
  }

  /** Network calls seen so far. */
  int calls() {
    return calls;
  }

  @Override
  public int vocabSize() {
    return delegate.vocabSize();
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    before();
    if (tokens.batch() == canvas.length && tokens.length() == canvas[0].length) {
      for (int b = 0; b < canvas.length; b++) {
        System.arraycopy(tokens.ids(), b * tokens.length(), canvas[b], 0, tokens.length());
      }
    }
    report();
    return rowCache.forward(tokens, sigma);
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    if (layout == null) {
      return forward(tokens, sigma);
    }
    before();
    report();
    return delegate.forward(tokens, sigma, layout);
  }

  @Override
  public boolean supportsLayout() {
    return delegate.supportsLayout();
  }

  @Override
  public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
    return delegate.windowKvCacheDecoder(batch).map(WindowObserved::new);
  }

  @Override
  public Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    return delegate.kvCacheDecoder(batch).map(CausalObserved::new);
  }

  @Override
  public Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
    return delegate.blockKvCacheDecoder().map(BlockObserved::new);
  }

  private void put(int b, int position, int id) {
    if (b < canvas.length && position >= 0 && position < canvas[b].length) {
      canvas[b][position] = id;
    }
  }

  /** Stops the batch when nobody waits for it. */
  private void before() {
    for (Job.Row r : rows) {
      if (!r.job().cancelled()) {
        return;
      }
    }
    throw new CancellationException("every request of the batch was cancelled");
  }

  /** Counts a network call; unless the sampler reports its canvas, the canvas is a frame. */
  private void report() {
    calls++;
    if (!samplerReports) {
      emit(calls - 1);
    }
  }

  /** The canvas after {@code step} calls as a frame of every streamed row. */
  private void emit(int step) {
    if (!anyStreamed) {
      return;
    }
    for (int b = 0; b < rows.size(); b++) {
      Job.Row r = rows.get(b);
      if (r.job().streamed() && !r.job().cancelled()) {
        int from = r.layout().prompt();
        int[] span = Arrays.copyOfRange(canvas[b], from, from + r.layout().span());
        r.job().events.add(new Job.Frame(r.index(), step, step + 1, span, false));
      }
    }
  }

  /** The causal decoder: the token fed at position p is the canvas at p. */
  private final class CausalObserved implements KvCacheDecoder {
    private final KvCacheDecoder d;

    CausalObserved(KvCacheDecoder d) {
      this.d = d;
    }

    @Override
    public Logits next(int[] tokens) {
      before();
      int p = d.position();
      for (int b = 0; b < tokens.length; b++) {
        put(b, p, tokens[b]);
      }
      report();
      return d.next(tokens);
    }

    @Override
    public Logits prefill(int[] tokens, int count) {
      before();
      calls++;
      return d.prefill(tokens, count);
    }

    @Override
    public int position() {
      return d.position();
    }

    @Override
    public void close() {
      d.close();
    }
  }

  /**
   * The window decoder: its rows are those of one group of the sampler, not the batch's, so its
   * sampler reports the canvas itself (Eso-LM); only cancellation and the call count here.
   */
  private final class WindowObserved implements WindowKvCacheDecoder {
    private final WindowKvCacheDecoder d;

    WindowObserved(WindowKvCacheDecoder d) {
      this.d = d;
    }

    @Override
    public Logits step(int[] tokens, int[] positions, int window, int commit) {
      before();
      report();
      return d.step(tokens, positions, window, commit);
    }

    @Override
    public int cached() {
      return d.cached();
    }

    @Override
    public void close() {
      d.close();
    }
  }

  /** The block KV cache: a refresh is the whole canvas, a slice's tokens go to their positions. */
  private final class BlockObserved implements BlockKvCacheDecoder {
    private final BlockKvCacheDecoder d;
    private boolean wholeBatch;

    BlockObserved(BlockKvCacheDecoder d) {
      this.d = d;
    }

    @Override
    public Logits refresh(TokenBatch tokens, float[] sigma) {
      before();
      wholeBatch = tokens.batch() == canvas.length && tokens.length() == canvas[0].length;
      if (wholeBatch) {
        for (int b = 0; b < canvas.length; b++) {
          System.arraycopy(tokens.ids(), b * tokens.length(), canvas[b], 0, tokens.length());
        }
      }
      report();
      return d.refresh(tokens, sigma);
    }

    @Override
    public Logits slice(
        int[] tokens, int[] positions, int width, boolean[] visible, float[] sigma) {
      before();
      if (wholeBatch) {
        for (int i = 0; i < tokens.length; i++) {
          put(i / width, positions[i], tokens[i]);
        }
      }
      report();
      return d.slice(tokens, positions, width, visible, sigma);
    }

    @Override
    public int batch() {
      return d.batch();
    }

    @Override
    public int length() {
      return d.length();
    }

    @Override
    public void close() {
      d.close();
    }
  }
}

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
 * <p>How the canvas is read: a full forward pass {@code [B, R]} is the canvas itself (MDLM, Duo,
 * Eso-LM without cache); a forward pass with an {@link AttentionLayout} and the window KV-cache
 * decoder (Eso-LM) write the fed tokens at their rotary positions; the causal KV-cache decoder (AR)
 * writes each fed token at the decoder's position, so an AR frame shows the tokens drawn up to the
 * previous step; the block KV cache (MDLM {@code cache=prefix|dual}) writes a refresh's rows whole
 * and a slice's tokens at their positions. A forward pass of another length or of fewer rows
 * (semi-autoregressive MDLM strides, rows that are done) leaves the canvas as it was.
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
    if (tokens.batch() == canvas.length) {
      for (int b = 0; b < canvas.length; b++) {
        for (int l = 0; l < tokens.length(); l++) {
          put(b, layout.position(b, l), tokens.get(b, l));
        }
      }
    }
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

  private void report() {
    calls++;
    if (!anyStreamed) {
      return;
    }
    for (int b = 0; b < rows.size(); b++) {
      Job.Row r = rows.get(b);
      if (r.job().streamed() && !r.job().cancelled()) {
        int from = r.layout().prompt();
        int[] span = Arrays.copyOfRange(canvas[b], from, from + r.layout().span());
        r.job().events.add(new Job.Frame(r.index(), calls - 1, calls, span));
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

  /** The window decoder: window tokens written at their positions. */
  private final class WindowObserved implements WindowKvCacheDecoder {
    private final WindowKvCacheDecoder d;

    WindowObserved(WindowKvCacheDecoder d) {
      this.d = d;
    }

    @Override
    public Logits step(int[] tokens, int[] positions, int window, int commit) {
      before();
      int batch = tokens.length / window;
      for (int b = 0; b < batch; b++) {
        for (int w = 0; w < window; w++) {
          put(b, positions[b * window + w], tokens[b * window + w]);
        }
      }
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

package dev.dllm.family.esolm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Eso-LM sampling (spec §4.4; [SD] algo.py {@code EsoLM.generate_samples}), engine-free on any
 * {@link Denoiser} that takes an {@link dev.dllm.api.AttentionLayout}.
 *
 * <p>Each row gets a random order ({@link Orders#sampling}: uniform, with the tail after the
 * diffusion tokens sorted so the sequential phase runs left to right). The working sequence lives
 * in sorted order and starts all-mask; the plan ({@link UnmaskingPlan}) says how many tokens step i
 * draws; the tokens at sorted indices [u, u + k_i) are drawn from the float64 softmax of their
 * logits with logit[mask] = −1e6, optional top-p, and float64 Gumbel-max ({@link Categorical});
 * sigma = 0. At the end the rows are un-permuted.
 *
 * <ul>
 *   <li>{@code kv_cache=false}: a full sorted-causal forward of all L sorted tokens per step.
 *   <li>{@code kv_cache=true} (default, when the denoiser has a {@link WindowKvCacheDecoder}): step
 *       i feeds only the window [u_{i−1}, u_i + k_i): the previous step's freshly drawn tokens (now
 *       clean) then the k_i masks; the cache holds only clean tokens (the previous tokens are
 *       committed after the step). Same logits as the full forward, so the same samples.
 * </ul>
 *
 * <p>NFE = the number of non-empty steps. The plan is drawn from {@code rng} first; then row b uses
 * only the b-th {@link Rng#split()} (its order, then its draws), so samples do not depend on the
 * thread count.
 */
public final class EsoLmSampler implements Sampler {
  private static final Set<String> OPTIONS = Set.of("kv_cache");

  /** Observes the logits of the tokens drawn at each step (parity checks, diagnostics). */
  public interface StepListener {
    /**
     * @param step index of the non-empty step
     * @param drawnLogits the logits of the k tokens drawn at this step {@code [B, k, V]}, a copy
     */
    void onStep(int step, float[] drawnLogits);
  }

  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final boolean kvCache;
  private StepListener listener;

  private EsoLmSampler(NoiseSchedule schedule, int steps, double topP, boolean kvCache) {
    this.schedule = schedule;
    this.steps = steps;
    this.topP = topP;
    this.kvCache = kvCache;
  }

  static EsoLmSampler of(SamplerSpec spec, NoiseSchedule schedule) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new InvalidInputException(
            "sampler option '"
                + key
                + "' is not supported by family esolm; known options: kv_cache");
      }
    }
    String cache = spec.option("kv_cache", "true");
    if (!cache.equals("true") && !cache.equals("false")) {
      throw new InvalidInputException(
          "sampler option kv_cache must be true or false, got " + cache);
    }
    if (spec.steps() < 1) {
      throw new InvalidInputException("esolm sampling needs steps T >= 1, got " + spec.steps());
    }
    return new EsoLmSampler(schedule, spec.steps(), spec.topP(), Boolean.parseBoolean(cache));
  }

  /** Sets the step observer (null for none); returns this sampler. */
  public EsoLmSampler listener(StepListener l) {
    this.listener = l;
    return this;
  }

  /**
   * Draws {@code batch} sequences of {@code length} tokens.
   *
   * @return ids {@code [B, L]} without mask ids, and NFE
   * @throws InvalidInputException when the tokenizer has no mask id
   * @throws UnsupportedOperationException when the denoiser takes no attention layout
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser, int batch, int length, SpecialTokens specials, Rng rng) {
    int mask = EsoLmFamily.maskId(specials);
    UnmaskingPlan plan = UnmaskingPlan.draw(schedule, steps, length, rng);
    int[][] orders = new int[batch][];
    Rng[] rows = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = rng.split();
      orders[b] = Orders.sampling(length, plan.diffusionTokens(), rows[b]);
    }
    int[] xs = new int[batch * length];
    Arrays.fill(xs, mask);
    Optional<WindowKvCacheDecoder> cache =
        kvCache ? denoiser.windowKvCacheDecoder(batch) : Optional.empty();
    if (cache.isPresent()) {
      try (WindowKvCacheDecoder decoder = cache.get()) {
        cached(decoder, plan, xs, orders, batch, length, mask, rows);
      }
    } else {
      uncached(denoiser, plan, xs, orders, batch, length, mask, rows);
    }
    int[] out = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < length; j++) {
        out[b * length + orders[b][j]] = xs[b * length + j];
      }
    }
    return new SampleBatch(new TokenBatch(out, batch, length), plan.nfe());
  }

  private void uncached(
      Denoiser denoiser,
      UnmaskingPlan plan,
      int[] xs,
      int[][] orders,
      int batch,
      int length,
      int mask,
      Rng[] rows) {
    var layout = EsoLmLayouts.diffusion(orders);
    int u = 0;
    for (int i = 0; i < plan.steps().length; i++) {
      int k = plan.steps()[i];
      Logits logits = denoiser.forward(new TokenBatch(xs.clone(), batch, length), null, layout);
      draw(i, logits, u, xs, length, u, k, mask, rows);
      u += k;
    }
  }

  private void cached(
      WindowKvCacheDecoder decoder,
      UnmaskingPlan plan,
      int[] xs,
      int[][] orders,
      int batch,
      int length,
      int mask,
      Rng[] rows) {
    int last = 0;
    int u = 0;
    for (int i = 0; i < plan.steps().length; i++) {
      int k = plan.steps()[i];
      int width = u + k - last;
      int[] tokens = new int[batch * width];
      int[] pos = new int[batch * width];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(xs, b * length + last, tokens, b * width, width);
        System.arraycopy(orders[b], last, pos, b * width, width);
      }
      Logits logits = decoder.step(tokens, pos, width, u - last);
      draw(i, logits, u - last, xs, length, u, k, mask, rows);
      last = u;
      u += k;
    }
  }

  /** Draws xs[:, u .. u + k) from logits rows [from, from + k), rows in parallel. */
  private void draw(
      int step, Logits logits, int from, int[] xs, int length, int u, int k, int mask, Rng[] rows) {
    int vocab = logits.vocab();
    int batch = rows.length;
    if (listener != null) {
      float[] copy = new float[batch * k * vocab];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(logits.values(), logits.offset(b, from), copy, b * k * vocab, k * vocab);
      }
      listener.onStep(step, copy);
    }
    IntStream range = IntStream.range(0, batch);
    (batch == 1 ? range : range.parallel())
        .forEach(
            b -> {
              double[] buffer = new double[vocab];
              for (int j = 0; j < k; j++) {
                int offset = logits.offset(b, from + j);
                int id;
                if (topP >= 1) {
                  id =
                      Categorical.sampleLogits(
                          logits.values(), offset, vocab, mask, rows[b], buffer);
                } else {
                  MaskedSoftmax.softmax(logits.values(), offset, vocab, mask, buffer);
                  TopP.apply(buffer, 0, vocab, topP);
                  id = Categorical.sample(buffer, 0, vocab, rows[b]);
                }
                xs[b * length + u + j] = id;
              }
            });
  }
}

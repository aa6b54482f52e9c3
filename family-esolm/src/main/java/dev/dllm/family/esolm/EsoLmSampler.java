package dev.dllm.family.esolm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.sample.CanvasListener;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Eso-LM sampling (spec §4.4; [SD] algo.py {@code EsoLM.generate_samples}, {@code
 * _tokens_unmasked_per_step}; [SD] models/dit.py {@code EsoLMDiT.forward_sample}), unconditional
 * and conditioned on given positions (spec §11.1), engine-free on any {@link Denoiser} that takes
 * an {@link dev.dllm.api.AttentionLayout}.
 *
 * <p><b>One row.</b> Row b has G_b given positions and F_b = L − G_b free ones. From its own stream
 * {@code rows[b]} it draws, in this order: its unmasking plan over the F_b free tokens ({@link
 * UnmaskingPlan}: k_i ~ Binomial(remaining, (alpha_s − alpha_t)/(1 − alpha_t)), empty steps
 * dropped, then k = 1 steps for the sequential phase when alpha_0 &lt; 1), its order ({@link
 * Orders#sampling(boolean[], int, int, int, Rng)}: the given positions first, left to right, then a
 * uniform random order of the free positions with the sequential tail sorted ascending), then its
 * tokens. The working row lives in sorted order: sorted indices [0, G_b) hold the given ids (they
 * are "already decoded": clean keys every later query attends, never redrawn), the rest start as
 * MASK. Step i draws the tokens at sorted indices [u, u + k_i) (u = tokens decoded so far, given
 * included) from the float64 softmax of their logits with logit[mask] = −1e6, optional top-p, and
 * float64 Gumbel-max ({@link Categorical}); sigma = 0. At the end the row is un-permuted, so given
 * ids come back verbatim at their positions.
 *
 * <ul>
 *   <li>{@code kv_cache=false}: a full sorted-causal forward of all L sorted tokens per step (given
 *       tokens included; this is the no-cache cost).
 *   <li>{@code kv_cache=true} (default, when the denoiser has a {@link WindowKvCacheDecoder}): step
 *       i feeds only the window of tokens not cached yet: the clean tokens decoded since the last
 *       commit (at the first step: the G given tokens, so a prompt is encoded once, inside the
 *       first window call, which also predicts the first k_0 masks), then the k_i masks; afterwards
 *       the clean head of the window is committed. Window queries see the cache and, causally, the
 *       window: the same logits as the full forward, so the same samples.
 * </ul>
 *
 * <p><b>Batches.</b> Rows are independent: a row's tokens depend only on its conditioning and its
 * stream, never on the rows batched with it nor on the thread count (so batched rows equal the same
 * rows sampled one by one, and {@link #sample(Denoiser, int, int, SpecialTokens, Rng)} is exactly
 * the conditional sampler with {@link Conditioning#none} and {@link Conditioning#rowStreams}).
 * Unlike the reference, which shares one plan across the batch, every row has its own plan (the
 * marginal law of a row is the same; rows with different free counts could not share one anyway).
 * Rows are run in <i>groups of equal given count</i> (in order of first appearance), each group in
 * lock-step: network call i performs the i-th step of every row of the group that still has one
 * (NFE of a group = its longest plan; rows whose plan is over are left out of the uncached forward,
 * and are fed inert padding in the cached one). With the KV cache one decoder serves the whole
 * group; because one call commits the same number C of tokens in every row, C is the smallest
 * number of pending clean tokens among the active rows, and a row with more pending clean tokens
 * re-feeds the rest in the next window (exact: they are clean inputs either way; the cost is a
 * slightly wider window). Window padding sits after a row's real tokens (causal attention: no real
 * query sees it) and is never committed for a row that is still decoding. Rows with different given
 * counts go to different groups (their prompts would otherwise need per-row commits), one group
 * after the other.
 *
 * <p>NFE ({@link SampleBatch#nfe()}) = the network calls spent on the batch: the sum over groups of
 * the group's longest plan (for one row, its number of non-empty steps, plus the sequential steps
 * when alpha_0 &lt; 1). Unconditional samples for a seed differ from those of the shared-plan
 * sampler of earlier versions.
 */
public final class EsoLmSampler implements Sampler {
  private static final Set<String> OPTIONS = Set.of("kv_cache");

  /** Observes the logits of the tokens drawn at each network call (parity checks, diagnostics). */
  public interface StepListener {
    /**
     * @param step index of the network call in the run, from 0
     * @param drawnLogits the logits of the tokens drawn at this call, the active rows of the group
     *     in row order, each with its k_{b,i} tokens in sorted order {@code [Σ_b k_b, V]}, a copy
     */
    void onStep(int step, float[] drawnLogits);
  }

  private final NoiseSchedule schedule;
  private final int steps;
  private final double topP;
  private final boolean kvCache;
  private StepListener listener;
  private CanvasListener canvas;

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
   * Reports the canvas before every network call: every row of the batch un-permuted to position
   * order (given and decoded ids, MASK elsewhere), rows of groups not started yet or already done
   * included.
   *
   * @return true
   */
  @Override
  public boolean canvasListener(CanvasListener listener) {
    this.canvas = listener;
    return true;
  }

  /**
   * Conditional sampling: given positions are already decoded (first in the order, clean keys of
   * every later query, returned verbatim); the plan and the order are drawn over the free positions
   * of each row from {@code rows[b]} alone (see the class comment).
   *
   * @param given {@code [B, L]}, FREE or the id kept there; any pattern (prefix, gaps, suffix)
   * @param rows one stream per row {@code [B]}
   * @param timing one call per network call (network time = the forward or window call; update =
   *     the draws), or null
   * @return ids {@code [B, L]} without mask ids, and the NFE of the batch
   * @throws InvalidInputException when the tokenizer has no mask id, or a given id is the mask id
   *     or outside [0, V)
   * @throws IllegalArgumentException when {@code rows} does not have B streams
   * @throws UnsupportedOperationException when the denoiser takes no attention layout
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser,
      Conditioning given,
      SpecialTokens specials,
      Rng[] rows,
      dev.dllm.api.sample.StepListener timing) {
    int mask = EsoLmFamily.maskId(specials);
    int batch = given.batch();
    int length = given.length();
    given.checkStreams(rows);
    given.checkIds(denoiser.vocabSize(), mask);
    boolean[] givenMask = given.givenMask();
    SamplingRow[] all = new SamplingRow[batch];
    Map<Integer, List<SamplingRow>> groups = new LinkedHashMap<>();
    for (int b = 0; b < batch; b++) {
      int g = given.givenCount(b);
      UnmaskingPlan plan = UnmaskingPlan.draw(schedule, steps, length - g, rows[b]);
      int[] order = Orders.sampling(givenMask, b * length, length, plan.diffusionTokens(), rows[b]);
      int[] xs = new int[length];
      Arrays.fill(xs, mask);
      for (int j = 0; j < g; j++) {
        xs[j] = given.id(b, order[j]);
      }
      all[b] = new SamplingRow(b, g, plan.steps(), order, xs, rows[b]);
      groups.computeIfAbsent(g, k -> new ArrayList<>()).add(all[b]);
    }
    int[] calls = {0};
    CanvasListener c = canvas;
    LockStep lockStep =
        new LockStep(
            new RowDraws(topP, listener),
            c == null ? k -> {} : k -> c.canvas(k, positionOrder(all, length)));
    for (List<SamplingRow> group : groups.values()) {
      SamplingRow[] members = group.toArray(new SamplingRow[0]);
      Optional<WindowKvCacheDecoder> cache =
          kvCache && SamplingRow.longestPlan(members) > 0
              ? denoiser.windowKvCacheDecoder(members.length)
              : Optional.empty();
      if (cache.isPresent()) {
        try (WindowKvCacheDecoder decoder = cache.get()) {
          lockStep.cached(decoder, members, length, mask, calls, timing);
        }
      } else {
        lockStep.uncached(denoiser, members, length, mask, calls, timing);
      }
    }
    return new SampleBatch(new TokenBatch(positionOrder(all, length), batch, length), calls[0]);
  }

  /** The rows' working ids (sorted order) un-permuted to position order {@code [B, L]}. */
  private static int[] positionOrder(SamplingRow[] all, int length) {
    int[] out = new int[all.length * length];
    for (SamplingRow r : all) {
      for (int j = 0; j < length; j++) {
        out[r.index() * length + r.order()[j]] = r.xs()[j];
      }
    }
    return out;
  }

  @Override
  public boolean reportsSteps() {
    return true;
  }
}

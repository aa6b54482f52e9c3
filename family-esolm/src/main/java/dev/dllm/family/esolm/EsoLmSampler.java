package dev.dllm.family.esolm;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

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
    Row[] all = new Row[batch];
    Map<Integer, List<Row>> groups = new LinkedHashMap<>();
    for (int b = 0; b < batch; b++) {
      int g = given.givenCount(b);
      UnmaskingPlan plan = UnmaskingPlan.draw(schedule, steps, length - g, rows[b]);
      int[] order = Orders.sampling(givenMask, b * length, length, plan.diffusionTokens(), rows[b]);
      int[] xs = new int[length];
      Arrays.fill(xs, mask);
      for (int j = 0; j < g; j++) {
        xs[j] = given.id(b, order[j]);
      }
      all[b] = new Row(b, g, plan.steps(), order, xs, rows[b]);
      groups.computeIfAbsent(g, k -> new ArrayList<>()).add(all[b]);
    }
    int[] calls = {0};
    for (List<Row> group : groups.values()) {
      Row[] members = group.toArray(new Row[0]);
      Optional<WindowKvCacheDecoder> cache =
          kvCache && longestPlan(members) > 0
              ? denoiser.windowKvCacheDecoder(members.length)
              : Optional.empty();
      if (cache.isPresent()) {
        try (WindowKvCacheDecoder decoder = cache.get()) {
          cached(decoder, members, length, mask, calls, timing);
        }
      } else {
        uncached(denoiser, members, length, mask, calls, timing);
      }
    }
    int[] out = new int[batch * length];
    for (Row r : all) {
      for (int j = 0; j < length; j++) {
        out[r.index * length + r.order[j]] = r.xs[j];
      }
    }
    return new SampleBatch(new TokenBatch(out, batch, length), calls[0]);
  }

  /**
   * One row's sampling state, in sorted order.
   *
   * @param index row index b in the batch
   * @param given G_b, the given tokens at sorted indices [0, G_b)
   * @param plan tokens per step, summing to L − G_b
   * @param order {@code order[j]} = original position at sorted index j
   * @param xs the working row, sorted order (MASK where not decoded yet)
   * @param rng the row's stream (its draws)
   */
  private record Row(int index, int given, int[] plan, int[] order, int[] xs, Rng rng) {}

  private static int longestPlan(Row[] rows) {
    int n = 0;
    for (Row r : rows) {
      n = Math.max(n, r.plan.length);
    }
    return n;
  }

  /** Lock-step full sorted-causal forwards over the rows of a group that still have a step. */
  private void uncached(
      Denoiser denoiser,
      Row[] group,
      int length,
      int mask,
      int[] calls,
      dev.dllm.api.sample.StepListener timing) {
    int[] u = new int[group.length];
    for (int r = 0; r < group.length; r++) {
      u[r] = group[r].given;
    }
    int n = longestPlan(group);
    for (int i = 0; i < n; i++) {
      long t0 = timing == null ? 0 : System.nanoTime();
      Row[] active = active(group, i);
      int[] ids = new int[active.length * length];
      int[][] orders = new int[active.length][];
      int[] from = new int[active.length];
      int[] at = new int[active.length];
      int a = 0;
      for (int r = 0; r < group.length; r++) {
        if (group[r].plan.length > i) {
          System.arraycopy(group[r].xs, 0, ids, a * length, length);
          orders[a] = group[r].order;
          from[a] = u[r];
          at[a] = u[r];
          a++;
        }
      }
      Logits logits =
          denoiser
              .forward(
                  new TokenBatch(ids, active.length, length), null, EsoLmLayouts.diffusion(orders))
              .requireShape(active.length, length);
      long t1 = timing == null ? 0 : System.nanoTime();
      draw(calls[0], logits, active, from, at, i, mask);
      advance(group, u, i);
      report(timing, calls[0], t0, t1);
      calls[0]++;
    }
  }

  /**
   * Lock-step window calls through one decoder for the group: each row feeds its clean tokens not
   * yet cached, then its k masks; the call commits the smallest pending clean count of the active
   * rows.
   */
  private void cached(
      WindowKvCacheDecoder decoder,
      Row[] group,
      int length,
      int mask,
      int[] calls,
      dev.dllm.api.sample.StepListener timing) {
    int[] u = new int[group.length];
    for (int r = 0; r < group.length; r++) {
      u[r] = group[r].given;
    }
    int committed = 0; // the same in every row
    int n = longestPlan(group);
    for (int i = 0; i < n; i++) {
      long t0 = timing == null ? 0 : System.nanoTime();
      int commit = Integer.MAX_VALUE;
      int width = 1;
      for (int r = 0; r < group.length; r++) {
        if (group[r].plan.length > i) {
          commit = Math.min(commit, u[r] - committed);
          width = Math.max(width, u[r] - committed + group[r].plan[i]);
        }
      }
      int[] tokens = new int[group.length * width];
      int[] pos = new int[group.length * width];
      Arrays.fill(tokens, mask); // inert padding (after a row's real tokens, or a finished row)
      Row[] active = active(group, i);
      int[] from = new int[active.length];
      int[] at = new int[active.length];
      int a = 0;
      for (int r = 0; r < group.length; r++) {
        Row row = group[r];
        if (row.plan.length > i) {
          int real = u[r] + row.plan[i] - committed;
          System.arraycopy(row.xs, committed, tokens, r * width, real);
          System.arraycopy(row.order, committed, pos, r * width, real);
          from[a] = r * width + u[r] - committed; // flat window row of the first mask
          at[a] = u[r];
          a++;
        }
      }
      Logits logits = decoder.step(tokens, pos, width, commit);
      if (logits.values().length != group.length * width * logits.vocab()) {
        throw new IllegalStateException(
            "window step returned "
                + logits.values().length
                + " logits for ["
                + group.length
                + ", "
                + width
                + ", V]");
      }
      long t1 = timing == null ? 0 : System.nanoTime();
      Logits flat = new Logits(logits.values(), 1, group.length * width, logits.vocab());
      drawFlat(calls[0], flat, active, from, at, i, mask);
      committed += commit;
      advance(group, u, i);
      report(timing, calls[0], t0, t1);
      calls[0]++;
    }
  }

  private static Row[] active(Row[] group, int step) {
    int n = 0;
    for (Row r : group) {
      n += r.plan.length > step ? 1 : 0;
    }
    Row[] out = new Row[n];
    int a = 0;
    for (Row r : group) {
      if (r.plan.length > step) {
        out[a++] = r;
      }
    }
    return out;
  }

  private static void advance(Row[] group, int[] u, int step) {
    for (int r = 0; r < group.length; r++) {
      if (group[r].plan.length > step) {
        u[r] += group[r].plan[step];
      }
    }
  }

  private static void report(dev.dllm.api.sample.StepListener timing, int call, long t0, long t1) {
    if (timing != null) {
      long t2 = System.nanoTime();
      timing.step(call, t1 - t0, t2 - t1, t2 - t0);
    }
  }

  /** Active row a draws xs[at[a] .. + k) from logits row a, sequence indices from[a] .. + k. */
  private void draw(
      int call, Logits logits, Row[] active, int[] from, int[] at, int step, int mask) {
    int length = logits.length();
    int[] flatFrom = new int[active.length];
    for (int a = 0; a < active.length; a++) {
      flatFrom[a] = a * length + from[a];
    }
    drawFlat(
        call,
        new Logits(logits.values(), 1, active.length * length, logits.vocab()),
        active,
        flatFrom,
        at,
        step,
        mask);
  }

  /**
   * Active row a draws its k tokens xs[at[a] .. + k) from the flat logit rows [from[a], + k) of
   * {@code flat} ({@code [1, N, V]}), rows in parallel, each from its own stream.
   */
  private void drawFlat(
      int call, Logits flat, Row[] active, int[] from, int[] at, int step, int mask) {
    int vocab = flat.vocab();
    if (listener != null) {
      int total = 0;
      for (Row r : active) {
        total += r.plan[step];
      }
      float[] copy = new float[total * vocab];
      int c = 0;
      for (int a = 0; a < active.length; a++) {
        int k = active[a].plan[step];
        System.arraycopy(flat.values(), flat.offset(0, from[a]), copy, c, k * vocab);
        c += k * vocab;
      }
      listener.onStep(call, copy);
    }
    IntStream range = IntStream.range(0, active.length);
    (active.length == 1 ? range : range.parallel())
        .forEach(
            a -> {
              Row row = active[a];
              int k = row.plan[step];
              double[] buffer = new double[vocab];
              for (int j = 0; j < k; j++) {
                int offset = flat.offset(0, from[a] + j);
                int id;
                if (topP >= 1) {
                  id =
                      Categorical.sampleLogits(flat.values(), offset, vocab, mask, row.rng, buffer);
                } else {
                  MaskedSoftmax.softmax(flat.values(), offset, vocab, mask, buffer);
                  TopP.apply(buffer, 0, vocab, topP);
                  id = Categorical.sample(buffer, 0, vocab, row.rng);
                }
                row.xs[at[a] + j] = id;
              }
            });
  }

  @Override
  public boolean reportsSteps() {
    return true;
  }
}

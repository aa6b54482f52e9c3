package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Ancestral AR sampling (spec §5, [SD] algo.py {@code AR._sample}): position 0 = BOS, then one draw
 * per position; each draw is a float64 softmax with logit[mask] = -1e6, optional top-p, and a
 * Gumbel-max draw in ratio form with float64 uniforms ({@link Categorical}). With a KV cache each
 * call after the first feeds one token per row; without it each call is a full causal forward over
 * the prefix {@code [B, i]} (the check path).
 *
 * <p><b>Conditioning</b> (issue 16; spec §11.1 "AR: prefix only; prefill the prompt in one forward
 * into the KV cache"). Row b of a {@link Conditioning} {@code [B, L]} gives a prompt x_0 … x_{P_b −
 * 1} (its {@link Conditioning#prefixLength}); the sampler draws x_l ~ p(x_l | x_&lt;l) for l = P_b
 * … L − 1, the exact ancestral chain of the causal model conditioned on the prompt. When position 0
 * is free it is BOS, as in unconditional sampling (so {@link Conditioning#none} is the
 * unconditional sampler, same samples and NFE); when it is given the prompt starts there and no BOS
 * is added. Let Q_b = max(1, P_b) be the tokens of row b known before the first draw and Q = min_b
 * Q_b. The first network call feeds all Q leading tokens of every row in one forward ({@link
 * KvCacheDecoder#prefill} of {@code [B, Q]}, or a full forward over {@code [B, Q]} without the
 * cache); each later call feeds one token per row. At position l a row whose prompt still covers l
 * is teacher-forced (its given id is fed, nothing is drawn), so rows of different prompt lengths
 * share one batch and each row's sample equals the row sampled alone. NFE = the network calls = 1 +
 * (L − 1 − Q) = L − Q (L − 1 unconditionally), fewer with {@link SamplerSpec#stopAtEos()}.
 *
 * <p>With {@link SamplerSpec#stopAtEos()} (and an EOS id), a row is finished at the first EOS it
 * generates after its prompt; its later positions are EOS and it draws nothing more; sampling stops
 * as soon as every row is finished, saving the remaining calls.
 *
 * <p>Row b draws only from {@code rows[b]} (the unconditional entry points use the b-th {@link
 * Rng#split()} of the given rng, splits taken in row order), so samples depend on the seed, not on
 * the batch composition or thread count (rows are drawn in parallel).
 */
public final class ArSampler implements Sampler {
  private static final Set<String> OPTIONS = Set.of("kv_cache");

  private final double topP;
  private final boolean kvCache;
  private final boolean stopAtEos;

  private ArSampler(double topP, boolean kvCache, boolean stopAtEos) {
    this.topP = topP;
    this.kvCache = kvCache;
    this.stopAtEos = stopAtEos;
  }

  static ArSampler of(SamplerSpec spec) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new InvalidInputException(
            "sampler option '" + key + "' is not supported by family ar; known options: kv_cache");
      }
    }
    String cache = spec.option("kv_cache", "true");
    if (!cache.equals("true") && !cache.equals("false")) {
      throw new InvalidInputException(
          "sampler option kv_cache must be true or false, got " + cache);
    }
    return new ArSampler(spec.topP(), Boolean.parseBoolean(cache), spec.stopAtEos());
  }

  /**
   * Continues each row's prompt prefix (see the class comment for the math, the prefill and NFE).
   *
   * @param given {@code [B, L]}: a prefix of given ids per row (possibly empty), then free
   *     positions
   * @param rows one stream per row {@code [B]}; row b draws only from {@code rows[b]}
   * @param listener one call per network call (prefill included), or null
   * @return ids {@code [B, L]} (given ids verbatim, BOS at a free position 0) and NFE = the number
   *     of network calls
   * @throws InvalidInputException when a given position follows a free one (AR cannot fill a gap or
   *     honour a suffix; the message names the row and position), a given id is the MASK id or
   *     outside [0, V), or a row with a free position 0 needs BOS and the tokenizer has none
   * @throws IllegalArgumentException when {@code rows} does not hold one stream per row
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser,
      Conditioning given,
      SpecialTokens specials,
      Rng[] rows,
      StepListener listener) {
    int batch = given.batch();
    int length = given.length();
    given.checkStreams(rows);
    given.requirePrefixOnly("ar");
    given.checkIds(denoiser.vocabSize(), specials.mask());
    int[] x = given.fill(new int[batch * length], Conditioning.FREE);
    int known = length;
    for (int b = 0; b < batch; b++) {
      if (!given.isGiven(b, 0)) {
        if (specials.bos() < 0) {
          throw new InvalidInputException(
              "AR sampling starts from BOS, but the tokenizer has no BOS id (row "
                  + b
                  + " has a free position 0; give its first token)");
        }
        x[b * length] = specials.bos();
      }
      known = Math.min(known, Math.max(1, given.prefixLength(b)));
    }
    if (known >= length) {
      return new SampleBatch(new TokenBatch(x, batch, length), 0);
    }
    int eos = stopAtEos ? specials.eos() : -1;
    boolean[] done = new boolean[batch];
    for (int b = 0; b < batch; b++) {
      done[b] = given.prefixLength(b) == length; // nothing to generate
    }
    Optional<KvCacheDecoder> cache =
        kvCache ? denoiser.kvCacheDecoder(batch) : Optional.<KvCacheDecoder>empty();
    if (cache.isPresent()) {
      try (KvCacheDecoder decoder = cache.get()) {
        return run(denoiser, decoder, given, x, known, eos, done, specials.mask(), rows, listener);
      }
    }
    return run(denoiser, null, given, x, known, eos, done, specials.mask(), rows, listener);
  }

  /** The decoding loop: first call over [B, known], then one position per call. */
  private SampleBatch run(
      Denoiser denoiser,
      KvCacheDecoder decoder,
      Conditioning given,
      int[] x,
      int known,
      int eos,
      boolean[] done,
      int mask,
      Rng[] rows,
      StepListener listener) {
    int batch = given.batch();
    int length = given.length();
    int nfe = 0;
    for (int p = known; p < length; p++) {
      long start = listener == null ? 0 : System.nanoTime();
      Logits logits;
      int at;
      if (decoder == null) {
        logits = denoiser.forward(new TokenBatch(columns(x, batch, length, 0, p), batch, p), null);
        at = p - 1;
      } else if (p == known) {
        logits = decoder.prefill(columns(x, batch, length, 0, p), p);
        at = p - 1;
      } else {
        logits = decoder.next(columns(x, batch, length, p - 1, p));
        at = 0;
      }
      long network = listener == null ? 0 : System.nanoTime();
      place(logits, at, x, given, p, eos, done, mask, rows);
      nfe++;
      if (listener != null) {
        long end = System.nanoTime();
        listener.step(nfe - 1, network - start, end - network, end - start);
      }
      if (eos >= 0 && allDone(done) && p + 1 < length) {
        for (int b = 0; b < batch; b++) {
          for (int l = p + 1; l < length; l++) {
            if (!given.isGiven(b, l)) {
              x[b * length + l] = eos; // a fully given row keeps its ids
            }
          }
        }
        break;
      }
    }
    return new SampleBatch(new TokenBatch(x, batch, length), nfe);
  }

  private static boolean allDone(boolean[] done) {
    for (boolean d : done) {
      if (!d) {
        return false;
      }
    }
    return true;
  }

  /** x[:, from:to] as {@code [B, to - from]} row-major. */
  private static int[] columns(int[] x, int batch, int length, int from, int to) {
    int n = to - from;
    int[] out = new int[batch * n];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(x, b * length + from, out, b * n, n);
    }
    return out;
  }

  /**
   * Sets x[:, target]: the given id (teacher forcing), EOS for a finished row, or a draw from
   * logits[:, position, :] with the row's own Rng; rows in parallel.
   */
  private void place(
      Logits logits,
      int position,
      int[] x,
      Conditioning given,
      int target,
      int eos,
      boolean[] done,
      int mask,
      Rng[] rows) {
    int vocab = logits.vocab();
    int length = given.length();
    IntConsumer row =
        b -> {
          int at = b * length + target;
          if (given.isGiven(b, target)) {
            return; // prompt token, already in x (fed at the next call: teacher forcing)
          }
          if (done[b]) {
            x[at] = eos;
            return;
          }
          int offset = logits.offset(b, position);
          int id;
          if (topP >= 1) {
            id =
                Categorical.sampleLogits(
                    logits.values(), offset, vocab, mask, rows[b], new double[vocab]);
          } else {
            double[] p = new double[vocab];
            MaskedSoftmax.softmax(logits.values(), offset, vocab, mask, p);
            TopP.apply(p, 0, vocab, topP);
            id = Categorical.sample(p, 0, vocab, rows[b]);
          }
          x[at] = id;
          if (eos >= 0 && id == eos) {
            done[b] = true;
          }
        };
    if (rows.length == 1) {
      row.accept(0);
    } else {
      IntStream.range(0, rows.length).parallel().forEach(row);
    }
  }

  /** False: AR only continues a prefix; gaps and suffixes are refused. */
  @Override
  public boolean supportsInfill() {
    return false;
  }

  /** True: the listener gets one call per network call. */
  @Override
  public boolean reportsSteps() {
    return true;
  }
}

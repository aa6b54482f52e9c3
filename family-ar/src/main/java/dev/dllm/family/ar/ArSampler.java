package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.sample.TopP;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Ancestral AR sampling (spec §5): position 0 = BOS, then L - 1 draws; each draw is a float64
 * softmax with logit[mask] = -1e6, optional top-p, and a Gumbel-max draw in ratio form with float64
 * uniforms ({@link Categorical}). With a KV cache each call feeds one token per row; without it
 * each call is a full causal forward over the prefix {@code [B, i + 1]} (the check path). NFE = L -
 * 1 either way.
 *
 * <p>Row b draws only from the b-th {@link Rng#split()} of the given rng (splits taken in row
 * order), so samples depend on the seed, not on the batch composition or thread count (rows are
 * drawn in parallel).
 */
public final class ArSampler implements Sampler {
  private static final Set<String> OPTIONS = Set.of("kv_cache");

  private final double topP;
  private final boolean kvCache;

  private ArSampler(double topP, boolean kvCache) {
    this.topP = topP;
    this.kvCache = kvCache;
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
    return new ArSampler(spec.topP(), Boolean.parseBoolean(cache));
  }

  /**
   * Draws {@code batch} rows of {@code length} tokens starting with BOS.
   *
   * @return ids {@code [B, L]} and NFE = L - 1
   * @throws InvalidInputException when the tokenizer has no BOS id
   */
  @Override
  public SampleBatch sample(
      Denoiser denoiser, int batch, int length, SpecialTokens specials, Rng rng) {
    if (specials.bos() < 0) {
      throw new InvalidInputException(
          "AR sampling starts from BOS, but the tokenizer has no BOS id");
    }
    Rng[] rows = new Rng[batch];
    for (int b = 0; b < batch; b++) {
      rows[b] = rng.split();
    }
    int[] x = new int[batch * length];
    for (int b = 0; b < batch; b++) {
      x[b * length] = specials.bos();
    }
    if (length < 2) {
      return new SampleBatch(new TokenBatch(x, batch, length), 0);
    }
    Optional<KvCacheDecoder> cache =
        kvCache ? denoiser.kvCacheDecoder(batch) : Optional.<KvCacheDecoder>empty();
    int nfe = 0;
    if (cache.isPresent()) {
      try (KvCacheDecoder decoder = cache.get()) {
        int[] fed = new int[batch];
        for (int i = 0; i < length - 1; i++) {
          for (int b = 0; b < batch; b++) {
            fed[b] = x[b * length + i];
          }
          Logits logits = decoder.next(fed);
          nfe++;
          draw(logits, 0, x, length, i + 1, specials.mask(), rows);
        }
      }
    } else {
      for (int i = 0; i < length - 1; i++) {
        int[] prefix = new int[batch * (i + 1)];
        for (int b = 0; b < batch; b++) {
          System.arraycopy(x, b * length, prefix, b * (i + 1), i + 1);
        }
        Logits logits = denoiser.forward(new TokenBatch(prefix, batch, i + 1), null);
        nfe++;
        draw(logits, i, x, length, i + 1, specials.mask(), rows);
      }
    }
    return new SampleBatch(new TokenBatch(x, batch, length), nfe);
  }

  /** Samples x[:, target] from logits[:, position, :], rows in parallel (own Rng each). */
  private void draw(
      Logits logits, int position, int[] x, int length, int target, int mask, Rng[] rows) {
    int vocab = logits.vocab();
    IntConsumer row =
        b -> {
          double[] p = new double[vocab];
          int offset = logits.offset(b, position);
          if (topP >= 1) {
            x[b * length + target] =
                Categorical.sampleLogits(logits.values(), offset, vocab, mask, rows[b], p);
            return;
          }
          MaskedSoftmax.softmax(logits.values(), offset, vocab, mask, p);
          TopP.apply(p, 0, vocab, topP);
          x[b * length + target] = Categorical.sample(p, 0, vocab, rows[b]);
        };
    if (rows.length == 1) {
      row.accept(0);
    } else {
      IntStream.range(0, rows.length).parallel().forEach(row);
    }
  }
}

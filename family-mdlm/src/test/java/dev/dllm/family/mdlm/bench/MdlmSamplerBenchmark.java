package dev.dllm.family.mdlm.bench;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Categorical;
import dev.dllm.api.sample.MaskedSoftmax;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.family.mdlm.MdlmFamily;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Sampler-overhead benchmark (not a unit test): MDLM predictors on a zero-cost denoiser that
 * returns fixed random logits, so the numbers are the Java-side cost (float64 softmax, Gumbel
 * draws, bookkeeping). Also times one full Gumbel-max over V + 1 entries per masked position (the
 * one-stage form) against the two-stage draw the sampler uses. Run with the test class path: {@code
 * java -cp ... dev.dllm.family.mdlm.bench.MdlmSamplerBenchmark [V L B T]}.
 */
public final class MdlmSamplerBenchmark {
  private MdlmSamplerBenchmark() {}

  public static void main(String[] args) {
    int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 32001;
    int length = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int steps = args.length > 3 ? Integer.parseInt(args[3]) : 128;
    int mask = vocab - 1;
    SpecialTokens specials = new SpecialTokens(0, 1, -1, mask);
    float[] values = new float[batch * length * vocab];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (2 * r.nextGaussian());
    }
    Logits fixed = new Logits(values, batch, length, vocab);
    Denoiser d =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return vocab;
          }

          @Override
          public Logits forward(TokenBatch tokens, float[] sigma) {
            return fixed;
          }
        };
    System.out.printf(
        "MDLM sampler overhead, V=%d L=%d B=%d T=%d (zero-cost denoiser)%n",
        vocab, length, batch, steps);
    System.out.printf("%-16s %10s %6s %12s%n", "predictor", "ms", "NFE", "tokens/s");
    double base = 0;
    for (String p : new String[] {"ancestral", "ancestral_cache", "fixed_count"}) {
      var sampler = new MdlmFamily().newSampler(new SamplerSpec(steps, 1, Map.of("predictor", p)));
      sampler.sample(d, batch, length, specials, new Rng(0)); // warm-up
      long t0 = System.nanoTime();
      SampleBatch s = sampler.sample(d, batch, length, specials, new Rng(1));
      double ms = (System.nanoTime() - t0) / 1e6;
      if (base == 0) {
        base = ms;
      }
      System.out.printf(
          "%-16s %10.1f %6d %12.0f   (x%.2f of ancestral)%n",
          p, ms, s.nfe(), batch * length / (ms / 1e3), ms / base);
    }
    // one-stage Gumbel over V + 1 entries vs the two-stage draw, for one step at t = 1, s = 1 - 1/T
    double alphaT = 1e-3;
    double alphaS = 1 - (1 - 1e-3) * (1 - 1.0 / steps);
    double stay = (1 - alphaS) / (1 - alphaT);
    double[] p = new double[vocab];
    Rng rng = new Rng(3);
    int positions = batch * length;
    long t0 = System.nanoTime();
    int unmaskedOne = 0;
    for (int i = 0; i < positions; i++) {
      MaskedSoftmax.softmax(values, i * vocab, vocab, mask, p);
      for (int v = 0; v < vocab; v++) {
        p[v] *= alphaS - alphaT;
      }
      p[mask] = 1 - alphaS;
      unmaskedOne += Categorical.sample(p, 0, vocab, rng) != mask ? 1 : 0;
    }
    double oneStage = (System.nanoTime() - t0) / 1e6;
    t0 = System.nanoTime();
    int unmaskedTwo = 0;
    for (int i = 0; i < positions; i++) {
      if (rng.uniform() < stay) {
        continue;
      }
      MaskedSoftmax.softmax(values, i * vocab, vocab, mask, p);
      Categorical.sample(p, 0, vocab, rng);
      unmaskedTwo++;
    }
    double twoStage = (System.nanoTime() - t0) / 1e6;
    System.out.printf(
        "first step of %d positions: one-stage Gumbel %.1f ms (%d unmasked), two-stage %.1f ms"
            + " (%d unmasked), ratio %.1fx%n",
        positions, oneStage, unmaskedOne, twoStage, unmaskedTwo, oneStage / twoStage);
    // one token draw: softmax + full ratio-form Gumbel vs the exact fast path on the logits
    for (int rep = 0; rep < 2; rep++) {
      t0 = System.nanoTime();
      long sink = 0;
      for (int i = 0; i < positions; i++) {
        MaskedSoftmax.softmax(values, i * vocab, vocab, mask, p);
        sink += Categorical.sample(p, 0, vocab, rng);
      }
      double full = (System.nanoTime() - t0) / 1e6;
      t0 = System.nanoTime();
      for (int i = 0; i < positions; i++) {
        sink += Categorical.sampleLogits(values, i * vocab, vocab, mask, rng, p);
      }
      double fast = (System.nanoTime() - t0) / 1e6;
      System.out.printf(
          "%d token draws: softmax+Gumbel %.1f ms (%.3f ms/token), sampleLogits %.1f ms"
              + " (%.3f ms/token), speed-up %.1fx [%d]%n",
          positions, full, full / positions, fast, fast / positions, full / fast, sink % 2);
    }
  }
}

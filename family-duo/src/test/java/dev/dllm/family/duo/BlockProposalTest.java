package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SamplerSpec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The proposals of {@code predictor=block_ancestral} under top-p and temperature ({@link
 * BlockProposal}, {@link DuoBlockOptions}) on hand-made logits; expected frequencies in closed
 * form.
 */
class BlockProposalTest {
  static final double[] P = {0.5, 0.3, 0.15, 0.05}; // tokens 0..3; token 4 is the mask
  static final int N = 20_000;

  static Logits logits() {
    float[] z = new float[5];
    for (int v = 0; v < 4; v++) {
      z[v] = (float) Math.log(P[v]);
    }
    z[4] = 50f; // the mask logit, excluded
    return new Logits(z, 1, 1, 5);
  }

  /** Frequencies of N proposals; asserts the confidence is the untempered max_v p(v) = 0.5. */
  static double[] frequencies(double temperature, double topP) {
    ConfidenceDecoding rule = new ConfidenceDecoding(0.9, 32, false);
    Rng rng = new Rng(7);
    double[] buffer = new double[5];
    double[] c = new double[1];
    double[] f = new double[5];
    Logits z = logits();
    for (int i = 0; i < N; i++) {
      f[BlockProposal.propose(rule, temperature, z, 0, 0, 4, topP, rng, buffer, c)] += 1.0 / N;
      assertEquals(0.5, c[0], 1e-6);
    }
    return f;
  }

  /** Asserts f matches q (normalised here) within 5 binomial standard deviations. */
  static void assertMatches(double[] q, double[] f) {
    double sum = 0;
    for (double v : q) {
      sum += v;
    }
    for (int v = 0; v < q.length; v++) {
      double e = q[v] / sum;
      double sd = Math.sqrt(e * (1 - e) / N);
      assertEquals(e, f[v], 5 * sd + 1e-12, "token " + v);
    }
  }

  @Test
  void aTokenOutsideTheNucleusIsNeverProposed() {
    double[] f = frequencies(1, 0.8); // nucleus {0, 1}: 0.5 < 0.8, 0.8 >= 0.8
    assertEquals(0, f[2]);
    assertEquals(0, f[3]);
    assertEquals(0, f[4]);
    assertMatches(new double[] {0.5, 0.3, 0, 0, 0}, f);
  }

  @Test
  void temperatureDrawsFromTheTemperedSoftmaxThenTheNucleus() {
    // τ_s 0.5: q ∝ p^2, no nucleus
    assertMatches(new double[] {0.25, 0.09, 0.0225, 0.0025, 0}, frequencies(0.5, 1));
    // τ_s 2: q ∝ √p = (.379, .294, .208, .120); nucleus 0.8 keeps three (top-p after the
    // temperature: before it, the nucleus of p would be {0, 1} and token 2 would never appear)
    double[] f = frequencies(2, 0.8);
    assertEquals(0, f[3]);
    assertMatches(new double[] {Math.sqrt(0.5), Math.sqrt(0.3), Math.sqrt(0.15), 0, 0}, f);
  }

  static SamplerSpec spec(double topP, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "block_ancestral");
    o.put("proposal", "sample");
    o.put("block_length", "4");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new SamplerSpec(8, topP, o);
  }

  /** How many of the 8 tokens of each of 20 seeds are not their position's top token 4 + l % 4. */
  static int offTop(SamplerSpec spec) {
    int off = 0;
    for (int seed = 0; seed < 20; seed++) {
      double[] a = DuoBlockChainTest.fixed(0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6);
      VisibleKeysDecoder dec = new VisibleKeysDecoder(V, MASK, a);
      int[] ids =
          new DuoFamily()
              .newSampler(spec)
              .sample(dec.denoiser(), 1, 8, SPECIALS, new Rng(seed))
              .tokens()
              .ids();
      for (int l = 0; l < 8; l++) {
        off += ids[l] == 4 + l % 4 ? 0 : 1;
      }
    }
    return off;
  }

  @Test
  void theSamplerHonoursTopPFromTheSpecOrItsOwnOption() {
    // every position: top token 0.6, seven others 0.4 / 7 each: a nucleus of 0.55 is the top alone
    assertTrue(offTop(spec(1)) > 0, "without top-p some draw leaves the top token");
    assertEquals(0, offTop(spec(0.55)));
    assertEquals(0, offTop(spec(1, "top_p", "0.55")));
    assertEquals(0, offTop(spec(0.55, "top_p", "0.55")));
  }

  @Test
  void topPAndTemperatureAreCheckedAndNamed() {
    DuoFamily f = new DuoFamily();
    String[][] bad = {
      {"top_p", "0"}, {"top_p", "1.5"}, {"top_p", "x"}, {"temperature", "0"}, {"temperature", "-1"}
    };
    for (String[] kv : bad) {
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> f.newSampler(spec(1, kv)));
      assertTrue(e.getMessage().contains(kv[0]), e.getMessage());
    }
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> f.newSampler(spec(1, "proposal", "argmax", "temperature", "0.7")));
    assertTrue(e.getMessage().contains("proposal=sample"), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> f.newSampler(spec(0.9, "top_p", "0.95")));
    assertTrue(e.getMessage().contains("top_p"), e.getMessage());
    e =
        assertThrows(
            InvalidInputException.class,
            () ->
                f.newSampler(
                    new SamplerSpec(
                        8, 1, Map.of("predictor", "confidence", "temperature", "0.9"))));
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    e =
        assertThrows(
            InvalidInputException.class,
            () -> f.newSampler(new SamplerSpec(8, 1, Map.of("top_p", "2"))));
    assertTrue(e.getMessage().contains("top_p"), e.getMessage());
  }

  /** The ids of Duo's ancestral chain on the hash decoder, 2 rows of 16, seed 3. */
  static int[] ancestral(double topP, Map<String, String> options) {
    VisibleKeysDecoder dec = new VisibleKeysDecoder(V, MASK, null);
    return new DuoFamily()
        .newSampler(new SamplerSpec(8, topP, options))
        .sample(dec.denoiser(), 2, 16, SPECIALS, new Rng(3))
        .tokens()
        .ids();
  }

  @Test
  void aTemperedPosteriorDrawIsTheDrawOnTheDividedLogits() {
    // second implementation: temperature τ on z = temperature 1 on z / τ, both through the
    // buffered (top-p) path with the same uniforms
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    int vocab = 7;
    int mask = 6;
    int same = 0;
    for (int trial = 0; trial < 500; trial++) {
      float[] z = new float[vocab];
      float[] zd = new float[vocab];
      double tau = trial % 2 == 0 ? 0.5 : 0.7;
      for (int v = 0; v < vocab; v++) {
        z[v] = (float) (3 * r.nextDouble() - 1.5);
        zd[v] = (float) (z[v] / tau);
      }
      int zt = r.nextInt(mask);
      double at = 0.2 + 0.3 * r.nextDouble();
      double as = at + 0.4 * r.nextDouble();
      long seed = r.nextLong();
      double[] buf = new double[vocab];
      int a = PosteriorDraw.draw(z, 0, vocab, zt, mask, at, as, 0.999, tau, new Rng(seed), buf);
      int b = PosteriorDraw.draw(zd, 0, vocab, zt, mask, at, as, 0.999, 1, new Rng(seed), buf);
      assertEquals(b, a, "trial " + trial);
      int c = PosteriorDraw.draw(z, 0, vocab, zt, mask, at, as, 0.999, 1, new Rng(seed), buf);
      same += a == c ? 1 : 0;
    }
    assertTrue(same < 500, "the temperature changes some draws");
  }

  @Test
  void theTopPOptionIsTheSpecsTopPForTheAncestralChainToo() {
    int[] spec = ancestral(0.5, Map.of());
    assertArrayEquals(spec, ancestral(1, Map.of("top_p", "0.5")));
    assertFalse(Arrays.equals(spec, ancestral(1, Map.of())), "top-p 0.5 changes the samples");
  }
}

package dev.dllm.family.ar;

import static dev.dllm.family.ar.ArConditionalFixtures.EOS;
import static dev.dllm.family.ar.ArConditionalFixtures.MASK;
import static dev.dllm.family.ar.ArConditionalFixtures.SPECIALS;
import static dev.dllm.family.ar.ArConditionalFixtures.V;
import static dev.dllm.family.ar.ArConditionalFixtures.prompts;
import static dev.dllm.family.ar.ArConditionalFixtures.sampler;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import org.junit.jupiter.api.Test;

/**
 * Conditional AR sampling, issue 16: a suffix, gap, given MASK or out-of-vocabulary id is refused.
 */
class ArConditionalRefusalTest {
  @Test
  void aSuffixOrGapIsRefusedNamingThePosition() {
    Sampler sampler = sampler(1, true, false);
    assertFalse(sampler.supportsInfill());
    Conditioning gap = Conditioning.infill(new int[] {2, 3}, 3, new int[] {4}, new int[0]);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    new BigramDenoiser(ArSamplerTest.randomTable(1), true),
                    gap,
                    SPECIALS,
                    new Rng(1)));
    assertTrue(e.getMessage().contains("position 5"), e.getMessage());
    assertTrue(e.getMessage().contains("row 0"), e.getMessage());
    // a second row with a gap, the first a plain prompt
    int[] ids = {2, 3, -1, -1, -1, -1, 2, -1, -1, 4, -1, -1};
    InvalidInputException e2 =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    new BigramDenoiser(ArSamplerTest.randomTable(1), true),
                    Conditioning.of(ids, 2, 6),
                    SPECIALS,
                    new Rng(1)));
    assertTrue(
        e2.getMessage().contains("row 1") && e2.getMessage().contains("position 3"),
        e2.getMessage());
    // the same refusal for the conditional likelihood
    boolean[] mask = new boolean[ids.length];
    for (int i = 0; i < ids.length; i++) {
      mask[i] = ids[i] >= 0;
    }
    int[] x0 = {2, 3, 0, 0, 0, 0, 2, 0, 0, 4, 0, 0};
    InvalidInputException e3 =
        assertThrows(
            InvalidInputException.class,
            () ->
                new ArFamily()
                    .conditionalNelbo(
                        new BigramDenoiser(ArSamplerTest.randomTable(1), false),
                        x0,
                        mask,
                        2,
                        6,
                        null,
                        SPECIALS,
                        Conditioning.rowStreams(new Rng(1), 2)));
    assertTrue(e3.getMessage().contains("position 3"), e3.getMessage());
  }

  @Test
  void aGivenMaskOrOutOfVocabularyIdIsRefused() {
    Sampler sampler = sampler(1, true, false);
    BigramDenoiser d = new BigramDenoiser(ArSamplerTest.randomTable(1), true);
    InvalidInputException mask =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    d, Conditioning.of(new int[] {2, MASK, -1, -1}, 1, 4), SPECIALS, new Rng(1)));
    assertTrue(mask.getMessage().contains("MASK") && mask.getMessage().contains("position 1"));
    InvalidInputException vocab =
        assertThrows(
            InvalidInputException.class,
            () ->
                sampler.sample(
                    d, Conditioning.of(new int[] {V, -1, -1, -1}, 1, 4), SPECIALS, new Rng(1)));
    assertTrue(vocab.getMessage().contains("outside the vocabulary"), vocab.getMessage());
    // no BOS: a free position 0 is refused, a given one is fine
    SpecialTokens noBos = new SpecialTokens(-1, EOS, -1, MASK);
    assertThrows(
        InvalidInputException.class,
        () -> sampler.sample(d, Conditioning.none(1, 4), noBos, new Rng(1)));
    SampleBatch ok = sampler.sample(d, prompts(4, 1, 2), noBos, new Rng(1));
    assertEquals(2, ok.nfe());
    assertEquals(0, d.forwardCalls);
    assertThrows(
        IllegalArgumentException.class,
        () -> sampler.sample(d, Conditioning.none(2, 4), SPECIALS, new Rng[] {new Rng(1)}, null));
  }
}

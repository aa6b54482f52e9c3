package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.RecomputingBlockKvCache;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MDLM's {@code predictor=confidence cache=prefix|dual} (issue 20) over an exact block cache
 * ({@link RecomputingBlockKvCache}, which also checks that every slice the sampler sends has the
 * shape of Fast-dLLM's prefix or dual cache): the samples then equal {@code cache=none}'s draw for
 * draw.
 */
class MdlmBlockCacheTest {
  static final int L = 8;

  static SampleBatch sample(Denoiser den, Conditioning given, long seed, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "confidence");
    o.put("threshold", "0.6");
    o.put("block_length", "3");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new MdlmFamily()
        .newSampler(new SamplerSpec(5, 1.0, o))
        .sample(
            den,
            given,
            MarkovOracle.SPECIALS,
            Conditioning.rowStreams(new Rng(seed), given.batch()),
            null);
  }

  @Test
  void exactCacheGivesTheSamplesOfNoCache() {
    Denoiser oracle = MarkovOracle.denoiser(L);
    int[] prompt = new int[3 * L];
    java.util.Arrays.fill(prompt, Conditioning.FREE);
    prompt[L] = 1; // row 1: a one-token prompt, so its blocks start at 1
    prompt[2 * L] = 3;
    prompt[2 * L + 1] = 0; // row 2: two tokens
    Conditioning given = Conditioning.of(prompt, 3, L);
    for (String mode : List.of("prefix", "dual")) {
      for (long seed = 1; seed <= 4; seed++) {
        RecomputingBlockKvCache cache =
            new RecomputingBlockKvCache(
                oracle, BlockCache.valueOf(mode.toUpperCase(java.util.Locale.ROOT)));
        SampleBatch plain = sample(oracle, given, seed);
        SampleBatch cached =
            sample(RecomputingBlockKvCache.offering(oracle, cache), given, seed, "cache", mode);
        assertArrayEquals(
            plain.tokens().ids(), cached.tokens().ids(), mode + " seed " + seed + ": samples");
        assertTrue(cache.slices() > 0, mode + ": no slice step was taken");
        assertTrue(cache.refreshes() >= 3, mode + ": one full forward per block at least");
        assertEquals(cache.refreshes() + cache.slices(), cached.nfe());
      }
    }
  }

  @Test
  void cacheWithoutBlockGraphOrPredictorIsRefused() {
    Conditioning none = Conditioning.none(1, L);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> sample(MarkovOracle.denoiser(L), none, 1, "cache", "dual"));
    assertTrue(e.getMessage().contains("cache=dual needs a block KV graph"), e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> sample(MarkovOracle.denoiser(L), none, 1, "cache", "full"));
    assertThrows(
        InvalidInputException.class,
        () -> new MdlmFamily().newSampler(new SamplerSpec(4, 1.0, Map.of("cache", "dual"))));
  }
}

package dev.dllm.family.duo;

import static dev.dllm.family.duo.DuoConditionalFixtures.MASK;
import static dev.dllm.family.duo.DuoConditionalFixtures.SPECIALS;
import static dev.dllm.family.duo.DuoConditionalFixtures.V;
import static dev.dllm.family.duo.DuoConditionalFixtures.mixed;
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
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Duo's {@code predictor=confidence cache=prefix|dual} (issue 20) over the exact block cache
 * ({@link RecomputingBlockKvCache}, which checks each slice's shape): with a network whose logits
 * hash the whole row and its sigma ({@link TestNets.Recording}), the samples equal {@code
 * cache=none}'s draw for draw only if every slice step sees the row's current tokens at its own
 * position offsets and is fed the step's own sigma.
 */
class DuoBlockCacheTest {

  static SampleBatch sample(Denoiser den, Conditioning given, long seed, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "confidence");
    o.put("threshold", "0.3");
    o.put("block_length", "3");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new DuoFamily()
        .newSampler(new SamplerSpec(6, 1.0, o))
        .sample(den, given, SPECIALS, Conditioning.rowStreams(new Rng(seed), given.batch()), null);
  }

  @Test
  void exactCacheGivesTheSamplesOfNoCache() {
    Conditioning given = mixed();
    for (BlockCache mode : new BlockCache[] {BlockCache.PREFIX, BlockCache.DUAL}) {
      for (String proposal : new String[] {"sample", "argmax"}) {
        for (long seed = 1; seed <= 3; seed++) {
          TestNets.Recording net = new TestNets.Recording(V, MASK);
          RecomputingBlockKvCache cache = new RecomputingBlockKvCache(net, mode);
          SampleBatch plain = sample(net, given, seed, "proposal", proposal);
          SampleBatch cached =
              sample(
                  RecomputingBlockKvCache.offering(net, cache),
                  given,
                  seed,
                  "proposal",
                  proposal,
                  "cache",
                  mode.label());
          String what = mode.label() + " " + proposal + " seed " + seed;
          assertArrayEquals(plain.tokens().ids(), cached.tokens().ids(), what + ": samples");
          assertTrue(cache.slices() > 0, what + ": no slice step was taken");
          assertEquals(cache.refreshes() + cache.slices(), cached.nfe(), what + ": NFE");
          assertTrue(cached.nfe() >= plain.nfe(), what + ": lockstep NFE below the rows' own");
          DuoConditionalSamplerTest.assertClamped(given, cached.tokens(), what);
        }
      }
    }
  }

  @Test
  void cacheWithoutBlockGraphOrPredictorIsRefused() {
    Conditioning none = Conditioning.none(1, 8);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> sample(new TestNets.Recording(V, MASK), none, 1, "cache", "prefix"));
    assertTrue(e.getMessage().contains("cache=prefix needs a block KV graph"), e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> sample(new TestNets.Recording(V, MASK), none, 1, "cache", "full"));
    InvalidInputException p =
        assertThrows(
            InvalidInputException.class,
            () -> new DuoFamily().newSampler(new SamplerSpec(4, 1.0, Map.of("cache", "dual"))));
    assertTrue(p.getMessage().contains("predictor=confidence"), p.getMessage());
  }
}

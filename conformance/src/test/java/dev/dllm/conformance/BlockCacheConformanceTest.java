package dev.dllm.conformance;

import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.sample.SamplerSpec;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The kit's sampling and conditioning checks (checks 4, 7–10 of {@link FamilyConformanceTestCase})
 * for MDLM's and Duo's {@code predictor=confidence} with the block KV cache on ({@code
 * cache=prefix|dual}, issue 20), over the exported tiny model's block graph: L = 8, block length 3,
 * τ 0.5, T = 4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockCacheConformanceTest {
  private final Map<String, Fixture> fixtures = new HashMap<>();

  private synchronized Fixture fixture(String family) {
    return fixtures.computeIfAbsent(
        family, f -> new Fixture(f, FamilyRegistry.load().get(f), TinyModel.DEFAULT));
  }

  private static SamplerSpec spec(String cache) {
    return new SamplerSpec(
        4,
        1.0,
        Map.of("predictor", "confidence", "threshold", "0.5", "block_length", "3", "cache", cache));
  }

  private ConditioningCheck conditioning(String family, String cache) {
    return new ConditioningCheck(fixture(family), FamilyRegistry.load().get(family), spec(cache));
  }

  @AfterAll
  synchronized void close() {
    fixtures.values().forEach(Fixture::close);
  }

  @ParameterizedTest
  @CsvSource({"mdlm,prefix", "mdlm,dual", "duo,prefix", "duo,dual"})
  void samplesHaveNoMaskAndDoNotDependOnThreads(String family, String cache) {
    new SamplingCheck(fixture(family), FamilyRegistry.load().get(family), spec(cache)).run();
  }

  @ParameterizedTest
  @CsvSource({"mdlm,prefix", "mdlm,dual", "duo,prefix", "duo,dual"})
  void givenPositionsComeBackVerbatim(String family, String cache) {
    conditioning(family, cache).givenPositionsComeBackVerbatim();
  }

  @ParameterizedTest
  @CsvSource({"mdlm,prefix", "mdlm,dual", "duo,prefix", "duo,dual"})
  void batchedRowsEqualRowsSampledOneByOne(String family, String cache) {
    conditioning(family, cache).batchedRowsEqualRowsOneByOne();
  }

  @ParameterizedTest
  @CsvSource({"mdlm,prefix", "mdlm,dual", "duo,prefix", "duo,dual"})
  void infillIsHonoured(String family, String cache) {
    conditioning(family, cache).infillIsHonouredOrRefused();
  }

  @ParameterizedTest
  @CsvSource({"mdlm,prefix", "mdlm,dual", "duo,prefix", "duo,dual"})
  void emptyConditioningIsTheUnconditionalSampler(String family, String cache) {
    conditioning(family, cache).emptyConditioningIsTheUnconditionalSampler();
  }
}

package dev.dllm.conformance;

import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.sample.SamplerSpec;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kit's sampling and conditioning checks (checks 4, 7–10 of {@link FamilyConformanceTestCase})
 * for MDLM's {@code predictor=confidence} with the block KV cache on ({@code cache=prefix|dual},
 * issue 20), over the exported tiny model's block graph: L = 8, block length 3, τ 0.5, T = 4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockCacheConformanceTest {
  private Fixture fixture;

  private synchronized Fixture fixture() {
    if (fixture == null) {
      fixture = new Fixture("mdlm", FamilyRegistry.load().get("mdlm"), TinyModel.DEFAULT);
    }
    return fixture;
  }

  private static SamplerSpec spec(String cache) {
    return new SamplerSpec(
        4,
        1.0,
        Map.of("predictor", "confidence", "threshold", "0.5", "block_length", "3", "cache", cache));
  }

  private ConditioningCheck conditioning(String cache) {
    return new ConditioningCheck(fixture(), FamilyRegistry.load().get("mdlm"), spec(cache));
  }

  @AfterAll
  synchronized void close() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"prefix", "dual"})
  void samplesHaveNoMaskAndDoNotDependOnThreads(String cache) {
    new SamplingCheck(fixture(), FamilyRegistry.load().get("mdlm"), spec(cache)).run();
  }

  @ParameterizedTest
  @ValueSource(strings = {"prefix", "dual"})
  void givenPositionsComeBackVerbatim(String cache) {
    conditioning(cache).givenPositionsComeBackVerbatim();
  }

  @ParameterizedTest
  @ValueSource(strings = {"prefix", "dual"})
  void batchedRowsEqualRowsSampledOneByOne(String cache) {
    conditioning(cache).batchedRowsEqualRowsOneByOne();
  }

  @ParameterizedTest
  @ValueSource(strings = {"prefix", "dual"})
  void infillIsHonoured(String cache) {
    conditioning(cache).infillIsHonouredOrRefused();
  }

  @ParameterizedTest
  @ValueSource(strings = {"prefix", "dual"})
  void emptyConditioningIsTheUnconditionalSampler(String cache) {
    conditioning(cache).emptyConditioningIsTheUnconditionalSampler();
  }
}

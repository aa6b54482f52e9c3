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
 * for Duo's {@code predictor=block_ancestral} (issue 20; {@code DuoBlockChain}), whose hidden
 * suffix runs on the exported tiny model's block graph: cache none and prefix, proposal argmax and
 * sample, L = 8, block length 3, τ 0.5, T = 4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlockAncestralConformanceTest {
  private final Map<String, Fixture> fixtures = new HashMap<>();

  private synchronized Fixture fixture(String family) {
    return fixtures.computeIfAbsent(
        family, f -> new Fixture(f, FamilyRegistry.load().get(f), TinyModel.DEFAULT));
  }

  private static SamplerSpec spec(String setting) {
    String[] kv = setting.split("/");
    return new SamplerSpec(
        4,
        1.0,
        Map.of(
            "predictor",
            "block_ancestral",
            "threshold",
            "0.5",
            "block_length",
            "3",
            "cache",
            kv[0],
            "proposal",
            kv[1]));
  }

  private ConditioningCheck conditioning(String family, String cache) {
    return new ConditioningCheck(fixture(family), FamilyRegistry.load().get(family), spec(cache));
  }

  @AfterAll
  synchronized void close() {
    fixtures.values().forEach(Fixture::close);
  }

  @ParameterizedTest
  @CsvSource({"duo,none/argmax", "duo,prefix/argmax", "duo,none/sample", "duo,prefix/sample"})
  void samplesHaveNoMaskAndDoNotDependOnThreads(String family, String cache) {
    new SamplingCheck(fixture(family), FamilyRegistry.load().get(family), spec(cache)).run();
  }

  @ParameterizedTest
  @CsvSource({"duo,none/argmax", "duo,prefix/argmax", "duo,none/sample", "duo,prefix/sample"})
  void givenPositionsComeBackVerbatim(String family, String cache) {
    conditioning(family, cache).givenPositionsComeBackVerbatim();
  }

  @ParameterizedTest
  @CsvSource({"duo,none/argmax", "duo,prefix/argmax", "duo,none/sample", "duo,prefix/sample"})
  void batchedRowsEqualRowsSampledOneByOne(String family, String cache) {
    conditioning(family, cache).batchedRowsEqualRowsOneByOne();
  }

  @ParameterizedTest
  @CsvSource({"duo,none/argmax", "duo,prefix/argmax", "duo,none/sample", "duo,prefix/sample"})
  void infillIsHonoured(String family, String cache) {
    conditioning(family, cache).infillIsHonouredOrRefused();
  }

  @ParameterizedTest
  @CsvSource({"duo,none/argmax", "duo,prefix/argmax", "duo,none/sample", "duo,prefix/sample"})
  void emptyConditioningIsTheUnconditionalSampler(String family, String cache) {
    conditioning(family, cache).emptyConditioningIsTheUnconditionalSampler();
  }
}

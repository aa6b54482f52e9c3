package dev.dllm.conformance;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.sample.SamplerSpec;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kit's sampling and conditioning checks (checks 4, 7–10 of {@link FamilyConformanceTestCase})
 * on the exported tiny model, for the {@code predictor=confidence} sampler of MDLM and Duo, with
 * blocks shorter than the row (L = 8, block length 3, τ 0.5, T = 4, so the step budget binds too).
 * The family's own kit subclass runs its default sampler; this class adds the variant, sharing the
 * kit's fixture per family.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfidenceSamplerConformanceTest {
  static final SamplerSpec SPEC =
      new SamplerSpec(
          4, 1.0, Map.of("predictor", "confidence", "threshold", "0.5", "block_length", "3"));

  private final Map<String, Fixture> fixtures = new HashMap<>();

  private synchronized Fixture fixture(String name) {
    return fixtures.computeIfAbsent(
        name, n -> new Fixture(n, FamilyRegistry.load().get(n), TinyModel.DEFAULT));
  }

  private static DiffusionFamily family(String name) {
    return FamilyRegistry.load().get(name);
  }

  @AfterAll
  synchronized void close() {
    fixtures.values().forEach(Fixture::close);
    fixtures.clear();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void samplesHaveNoMaskAndDoNotDependOnThreads(String name) {
    new SamplingCheck(fixture(name), family(name), SPEC).run();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void givenPositionsComeBackVerbatim(String name) {
    new ConditioningCheck(fixture(name), family(name), SPEC).givenPositionsComeBackVerbatim();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void batchedRowsEqualRowsSampledOneByOne(String name) {
    new ConditioningCheck(fixture(name), family(name), SPEC).batchedRowsEqualRowsOneByOne();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void infillIsHonoured(String name) {
    new ConditioningCheck(fixture(name), family(name), SPEC).infillIsHonouredOrRefused();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void emptyConditioningIsTheUnconditionalSampler(String name) {
    new ConditioningCheck(fixture(name), family(name), SPEC)
        .emptyConditioningIsTheUnconditionalSampler();
  }
}

package dev.dllm.conformance;

import java.util.Set;

/**
 * The {@code duo} family against the conformance kit ({@code curriculum} and {@code dcd} are not
 * bounds).
 */
class DuoConformanceTest extends FamilyConformanceTestCase {
  @Override
  protected String familyName() {
    return "duo";
  }

  @Override
  protected TinyModel tinyModel() {
    return TinyModel.DEFAULT;
  }

  @Override
  protected Set<String> trainingOnlyObjectives() {
    return Set.of("curriculum", "dcd");
  }
}

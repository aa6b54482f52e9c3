package dev.dllm.conformance;

import java.util.Set;

/** The {@code duo} family against the conformance kit ({@code curriculum} is not a bound). */
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
    return Set.of("curriculum");
  }
}

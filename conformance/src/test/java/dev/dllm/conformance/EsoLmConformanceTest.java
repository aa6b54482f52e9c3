package dev.dllm.conformance;

import java.util.Set;

/**
 * The {@code esolm} family (Eso-LM B, default alpha_0 = 1) against the conformance kit ({@code
 * low_var} is not a bound).
 */
class EsoLmConformanceTest extends FamilyConformanceTestCase {
  @Override
  protected String familyName() {
    return "esolm";
  }

  @Override
  protected TinyModel tinyModel() {
    return TinyModel.DEFAULT;
  }

  @Override
  protected Set<String> trainingOnlyObjectives() {
    return Set.of("low_var");
  }
}

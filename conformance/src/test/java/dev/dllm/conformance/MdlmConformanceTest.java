package dev.dllm.conformance;

import java.util.Set;

/** The {@code mdlm} family against the conformance kit ({@code low_var} is not a bound). */
class MdlmConformanceTest extends FamilyConformanceTestCase {
  @Override
  protected String familyName() {
    return "mdlm";
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

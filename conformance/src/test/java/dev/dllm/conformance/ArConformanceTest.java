package dev.dllm.conformance;

/** The {@code ar} family against the conformance kit. */
class ArConformanceTest extends FamilyConformanceTestCase {
  @Override
  protected String familyName() {
    return "ar";
  }

  @Override
  protected TinyModel tinyModel() {
    return TinyModel.DEFAULT;
  }
}

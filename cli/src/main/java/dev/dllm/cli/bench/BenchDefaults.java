package dev.dllm.cli.bench;

/**
 * Defaults the benchmarks share. Data, not a dispatch: no code compares a family name with it; any
 * registered family can be given instead (an unknown one is refused with the registered names).
 */
final class BenchDefaults {
  /**
   * The family {@code bench-train} trains ({@code --family}) and {@code bench-sample} samples on
   * random weights (without {@code --checkpoint}): MDLM, the paper's masked-diffusion baseline.
   */
  static final String FAMILY = "mdlm";

  private BenchDefaults() {}
}

package dev.dllm.api.sample;

import java.util.SplittableRandom;

/**
 * Seeded random source for corruption and sampling. Uniforms are float64 with 53 random bits (never
 * float32: a float32 Gumbel tail silently lowers the temperature, spec §10.7). {@link #split()}
 * gives independent streams, so results do not depend on thread count when each row or task gets
 * its own split in a fixed order.
 */
public final class Rng {
  private final SplittableRandom random;

  public Rng(long seed) {
    this(new SplittableRandom(seed));
  }

  private Rng(SplittableRandom random) {
    this.random = random;
  }

  /** U[0, 1) with 53 random bits. */
  public double uniform() {
    return random.nextDouble();
  }

  /** Uniform integer in [0, bound). */
  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  public long nextLong() {
    return random.nextLong();
  }

  /** An independent stream; deterministic given the call order. */
  public Rng split() {
    return new Rng(random.split());
  }
}

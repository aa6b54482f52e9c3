package dev.dllm.api.schedule;

import dev.dllm.api.sample.Rng;

/**
 * Diffusion-time sampling, stratified (antithetic) over the global batch (spec §1.4, {@code
 * Diffusion._sample_t} in [SD] trainer_base.py).
 *
 * <p>For a global batch of n sequences: u_i ~ U[0, 1) for i = 0..n−1; with antithetic sampling u_i
 * ← (u_i + i) / n, one sample per stratum [i/n, (i+1)/n); then t_i = (1 − ε_s) u_i + ε_s with ε_s =
 * 1e-3, so t ∈ [1e-3, 1]. The length-n vector is cut into k equal chunks (by node, then local
 * device, then gradient-accumulation micro-step; see {@link #chunkIndex}); chunk j holds strata
 * j·n/k .. (j+1)·n/k − 1 and is truncated to the actual micro-batch size.
 */
public final class TimeSampler {

  /** ε_s, the lower end of sampled times ({@code training.sampling_eps}). */
  public static final double SAMPLING_EPS = 1e-3;

  private final double samplingEps;
  private final boolean antithetic;

  /** Antithetic sampling with ε_s = 1e-3, as in every reference config. */
  public TimeSampler() {
    this(SAMPLING_EPS, true);
  }

  /**
   * @param samplingEps ε_s in [0, 1)
   * @param antithetic stratify over the global batch (otherwise i.i.d. uniforms)
   */
  public TimeSampler(double samplingEps, boolean antithetic) {
    if (!(samplingEps >= 0 && samplingEps < 1)) {
      throw new IllegalArgumentException("sampling eps must be in [0, 1), got " + samplingEps);
    }
    this.samplingEps = samplingEps;
    this.antithetic = antithetic;
  }

  /**
   * The global vector of n times, {@code [n]}, consuming n uniforms from {@code rng} in order.
   *
   * @throws IllegalArgumentException if n &lt; 1
   */
  public double[] sampleGlobal(int n, Rng rng) {
    if (n < 1) {
      throw new IllegalArgumentException("global batch must be >= 1, got " + n);
    }
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      double u = rng.uniform();
      if (antithetic) {
        u = (u + i) / n;
        if (u >= 1) { // (u/n + i/n) mod 1 in the reference; only rounding can reach 1
          u -= 1;
        }
      }
      t[i] = (1 - samplingEps) * u + samplingEps;
    }
    return t;
  }

  /**
   * Times for one chunk (one device in one accumulation micro-step), {@code [microBatch]}: draws
   * the global vector of n times and returns entries j·n/k .. j·n/k + microBatch − 1.
   *
   * @param n global batch size (times batch_split for Eso-LM)
   * @param chunks k = nodes · devices · accumulation steps; must divide n
   * @param chunk j in [0, k), see {@link #chunkIndex}
   * @param microBatch rows actually present in this micro-batch, at most n / k
   * @throws IllegalArgumentException for inconsistent sizes
   */
  public double[] sampleChunk(int n, int chunks, int chunk, int microBatch, Rng rng) {
    if (chunks < 1 || n % chunks != 0) {
      throw new IllegalArgumentException(
          "global batch " + n + " must split into " + chunks + " equal chunks");
    }
    int size = n / chunks;
    if (chunk < 0 || chunk >= chunks) {
      throw new IllegalArgumentException("chunk " + chunk + " not in [0, " + chunks + ")");
    }
    if (microBatch < 0 || microBatch > size) {
      throw new IllegalArgumentException(
          "micro-batch " + microBatch + " larger than the chunk size " + size);
    }
    double[] global = sampleGlobal(n, rng);
    double[] out = new double[microBatch];
    System.arraycopy(global, chunk * size, out, 0, microBatch);
    return out;
  }

  /**
   * Single-device training: the times of accumulation micro-step j of k, {@code [n / k]}.
   *
   * @param globalBatch n, the number of sequences per optimizer step
   * @param accumulation k, gradient-accumulation steps
   * @param step j in [0, k)
   */
  public double[] sampleMicroStep(int globalBatch, int accumulation, int step, Rng rng) {
    return sampleChunk(globalBatch, accumulation, step, globalBatch / accumulation, rng);
  }

  /** Validation/eval: one stratified time per sequence of a batch of B rows, {@code [B]}. */
  public double[] sampleEval(int batch, Rng rng) {
    return sampleGlobal(batch, rng);
  }

  /**
   * Chunk index of (node, local device, accumulation step): chunks are ordered by node, then by
   * local device, then by micro-step.
   */
  public static int chunkIndex(
      int node, int devicesPerNode, int device, int accumulation, int step) {
    if (device < 0 || device >= devicesPerNode || step < 0 || step >= accumulation || node < 0) {
      throw new IllegalArgumentException(
          "invalid (node, device, step) = (" + node + ", " + device + ", " + step + ")");
    }
    return (node * devicesPerNode + device) * accumulation + step;
  }

  /** ε_s. */
  public double samplingEps() {
    return samplingEps;
  }

  /** Whether times are stratified over the global batch. */
  public boolean antithetic() {
    return antithetic;
  }
}

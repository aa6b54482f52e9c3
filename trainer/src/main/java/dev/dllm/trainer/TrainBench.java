package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.optim.AdamW;
import dev.dllm.trainer.optim.AdamWConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Training-throughput benchmark: full optimizer steps (forward, backward, clipping, AdamW) of a
 * family on random tokens, reported as tokens/s and achieved FLOP/s = 6 · N_eff · tokens/s (spec
 * §7.7, attention not counted), next to the float32 GEMM peak of the same machine measured in the
 * same process (DJL {@code matMul} of two n×n matrices, 2n³ FLOPs), and the peak resident memory
 * (VmHWM from {@code /proc/self/status}).
 */
public final class TrainBench {
  private TrainBench() {}

  /**
   * One measured configuration.
   *
   * @param tokensPerSecond B·L / median step time
   * @param flopsPerSecond 6 · N_eff · tokensPerSecond
   * @param msPerStep median wall time of one optimizer step
   * @param gemmFlopsPerSecond GEMM peak measured round robin with the steps (best block median)
   * @param peakRssMb VmHWM after the run, MiB (process-wide high-water mark)
   */
  public record Row(
      String family,
      String preset,
      int seqLen,
      int batch,
      long nEff,
      int steps,
      double msPerStep,
      double tokensPerSecond,
      double flopsPerSecond,
      double gemmFlopsPerSecond,
      double peakRssMb) {}

  /**
   * Best-of-{@code reps} float32 GEMM throughput in FLOP/s: C = A·B with n×n matrices (2n³ FLOPs
   * each), after one warm-up product.
   */
  public static double gemmPeak(int n, int reps) {
    try (Gemm g = new Gemm(n)) {
      double best = 0;
      for (int r = 0; r < reps; r++) {
        best = Math.max(best, g.once());
      }
      return best;
    }
  }

  /** Two random n×n float32 matrices and their timed product (DJL {@code matMul}). */
  static final class Gemm implements AutoCloseable {
    private final NDManager m = NDManager.newBaseManager();
    private final NDArray a;
    private final NDArray b;
    private final int n;

    Gemm(int n) {
      this.n = n;
      a = m.randomUniform(-1, 1, new Shape(n, n));
      b = m.randomUniform(-1, 1, new Shape(n, n));
      a.matMul(b).close(); // warm-up
    }

    /** FLOP/s of one product (2n³ FLOPs). */
    double once() {
      long t0 = System.nanoTime();
      try (NDArray c = a.matMul(b)) {
        c.getFloat(0, 0); // force completion
      }
      return 2.0 * n * n * (double) n / ((System.nanoTime() - t0) / 1e9);
    }

    /** Median FLOP/s of a block of {@code k} products. */
    double block(int k) {
      double[] r = new double[k];
      for (int i = 0; i < k; i++) {
        r[i] = once();
      }
      return median(r);
    }

    @Override
    public void close() {
      m.close();
    }
  }

  static double median(double[] x) {
    double[] s = x.clone();
    java.util.Arrays.sort(s);
    int h = s.length / 2;
    return s.length % 2 == 1 ? s[h] : (s[h - 1] + s[h]) / 2;
  }

  /**
   * Times {@code steps} optimizer steps after {@code warmup} untimed ones, on random tokens, round
   * robin with the GEMM peak: before each timed step a block of three n×n products (its median), so
   * machine load hits both alike. The row's step time is the median step; its peak is the best
   * block median (conservative: the ratio to the peak is not flattered by a slow block).
   *
   * @param shape model shape (V included)
   * @param accumulation micro-batches per optimizer step (B divisible by it)
   * @param gemmN GEMM matrix size n
   */
  public static Row measure(
      String familyName,
      String presetName,
      DitConfig shape,
      int seqLen,
      int batch,
      int accumulation,
      int warmup,
      int steps,
      long seed,
      int gemmN) {
    DiffusionFamily family = FamilyRegistry.load().get(familyName);
    TrainingObjective<NDArray> objective = Objectives.forFamily(family.name());
    String objectiveName = objective.objectives().iterator().next();
    int v = shape.vocabSize();
    SpecialTokens specials = new SpecialTokens(v - 4, v - 3, v - 2, v - 1);
    TrainStep step = new TrainStep(family, objective, objectiveName, specials, accumulation, 1.0);
    Rng data = new Rng(seed);
    try (NDManager root = NDManager.newBaseManager();
        DitModel model = DitModel.create(root, shape, seed);
        Gemm gemm = new Gemm(gemmN)) {
      Map<String, NDArray> params = model.parameters();
      try (AdamW adam = new AdamW(root, AdamWConfig.PAPER, params)) {
        double[] stepSecs = new double[steps];
        double peak = 0;
        for (int s = 0; s < warmup + steps; s++) {
          if (s >= warmup) {
            peak = Math.max(peak, gemm.block(3));
          }
          int[] ids = new int[batch * seqLen];
          for (int i = 0; i < ids.length; i++) {
            ids[i] = data.nextInt(v - 4);
          }
          long t0 = System.nanoTime();
          Engine.getInstance().setRandomSeed((int) (seed + s));
          step.run(
              model,
              root,
              new TokenBatch(ids, batch, seqLen),
              new Rng(seed + s),
              s,
              warmup + steps,
              false);
          adam.step(params, 1e-4);
          if (s >= warmup) {
            stepSecs[s - warmup] = (System.nanoTime() - t0) / 1e9;
          }
        }
        double secs = median(stepSecs);
        double tps = (double) batch * seqLen / secs;
        return new Row(
            family.name(),
            presetName,
            seqLen,
            batch,
            shape.nEff(),
            steps,
            secs * 1000,
            tps,
            6.0 * shape.nEff() * tps,
            peak,
            peakRssMb());
      }
    }
  }

  /** VmHWM of this process in MiB, or NaN when /proc is not available. */
  public static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}

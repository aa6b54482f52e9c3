package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.optim.GradClip;
import java.util.Arrays;
import java.util.Map;

/**
 * Forward, loss and backward of one optimizer step over K accumulation micro-batches, then
 * global-norm clipping; the optimizer update is left to the caller. Diffusion times are stratified
 * over the global batch and micro-step j gets strata j·B/K .. (j+1)·B/K − 1 (spec §1.4); corruption
 * uses the family's pure-Java {@link DiffusionFamily#corrupt}. A family without a schedule (AR)
 * trains on x0 with sigma = 0. Memory: activations live in a sub-manager per step, to which the
 * parameters are temporarily attached (ecosystem.md §1).
 */
public final class TrainStep {

  /**
   * @param loss mean loss over the global batch (nats per position, as the objective defines it)
   * @param gradNorm global gradient norm before clipping
   */
  public record Result(double loss, double gradNorm) {
    /** Whether both numbers are finite. */
    public boolean finite() {
      return Double.isFinite(loss) && Double.isFinite(gradNorm);
    }
  }

  private final DiffusionFamily family;
  private final TrainingObjective<NDArray> objective;
  private final String objectiveName;
  private final SpecialTokens specials;
  private final int accumulation;
  private final double clipNorm;
  private final TimeSampler times = new TimeSampler();

  public TrainStep(
      DiffusionFamily family,
      TrainingObjective<NDArray> objective,
      String objectiveName,
      SpecialTokens specials,
      int accumulation,
      double clipNorm) {
    this.family = family;
    this.objective = objective;
    this.objectiveName = objectiveName;
    this.specials = specials;
    this.accumulation = accumulation;
    this.clipNorm = clipNorm;
  }

  /**
   * Runs forward/backward on {@code x0} and clips; gradients are left on the parameters. Stops at
   * the first non-finite micro-batch loss (then the result is not finite and no gradient is
   * clipped).
   *
   * @param forward the network: (tokens [b, L] int64, sigma [b] float32) to logits [b, L, V]
   * @param params the trainable parameters (gradients attached)
   * @param x0 the global batch {@code [B, L]}
   * @param rng the step's random source (times first, then one split per micro-batch)
   * @param poison testing aid: multiply the loss by NaN
   */
  public Result run(
      Forward forward,
      Map<String, NDArray> params,
      NDManager root,
      TokenBatch x0,
      Rng rng,
      boolean poison) {
    int batch = x0.batch();
    int length = x0.length();
    int micro = batch / accumulation;
    NoiseSchedule noise = family.schedule();
    boolean timeConditioned = family.backbone().timeConditioned();
    double[] t = noise != null ? times.sampleGlobal(batch, rng) : new double[batch];
    double lossSum = 0;
    try (NDManager sub = root.newSubManager()) {
      for (NDArray p : params.values()) {
        p.tempAttach(sub);
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        for (int j = 0; j < accumulation; j++) {
          // Activations attach to the manager of the token inputs; closing this micro-step's
          // manager after backward frees them, so accumulation bounds peak memory by the
          // micro-batch.
          try (NDManager mm = sub.newSubManager()) {
            int[] x0Micro =
                Arrays.copyOfRange(x0.ids(), j * micro * length, (j + 1) * micro * length);
            double[] tMicro = Arrays.copyOfRange(t, j * micro, (j + 1) * micro);
            int[] zt =
                noise != null
                    ? family.corrupt(x0Micro, micro, length, tMicro, specials, rng.split())
                    : x0Micro;
            NDArray x0a = longs(mm, x0Micro, micro, length);
            NDArray zta = zt == x0Micro ? x0a : longs(mm, zt, micro, length);
            float[] sigma = new float[micro];
            if (noise != null && timeConditioned) {
              for (int b = 0; b < micro; b++) {
                sigma[b] = (float) noise.sigma(tMicro[b]);
              }
            }
            NDArray logits = forward.apply(zta, mm.create(sigma));
            NDArray ta = mm.create(toFloat(tMicro));
            NDArray loss = objective.loss(logits, x0a, zta, ta, specials.mask(), objectiveName);
            if (poison) {
              loss = loss.mul(Float.NaN);
            }
            double l = loss.getFloat();
            lossSum += l;
            if (!Double.isFinite(l)) {
              return new Result(l, Double.NaN);
            }
            gc.backward(accumulation > 1 ? loss.div(accumulation) : loss);
          }
        }
      }
      double gradNorm =
          clipNorm > 0
              ? GradClip.clip(params.values(), clipNorm)
              : GradClip.globalNorm(params.values());
      return new Result(lossSum / accumulation, gradNorm);
    }
  }

  /** The network as seen by a training step. */
  @FunctionalInterface
  public interface Forward {
    /** Logits {@code [b, L, V]} float32 for tokens {@code [b, L]} int64 and sigma {@code [b]}. */
    NDArray apply(NDArray tokens, NDArray sigma);
  }

  private static NDArray longs(NDManager m, int[] ids, int batch, int length) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return m.create(l, new Shape(batch, length));
  }

  private static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}

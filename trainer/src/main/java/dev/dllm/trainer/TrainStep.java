package dev.dllm.trainer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.schedule.TimeSampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
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
   * @param firstNonFinite the first parameter whose gradient is NaN/Inf (null when finite)
   */
  public record Result(double loss, double gradNorm, String firstNonFinite) {
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
  private DitModel teacher;

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

  /** A frozen network offered to the objective as {@code Backbone#teacher()} (null = none). */
  public void teacher(DitModel frozen) {
    this.teacher = frozen;
  }

  /**
   * Runs forward/backward on {@code x0} and clips; gradients are left on the parameters. Stops at
   * the first non-finite micro-batch loss (then the result is not finite and no gradient is
   * clipped).
   *
   * @param model the network (its parameters carry the gradients)
   * @param root the run's manager; the step's activations live in a sub-manager of it
   * @param x0 the global batch {@code [B, L]}
   * @param rng the step's random source (times first, then one split per micro-batch)
   * @param step the optimizer step, 0-based
   * @param totalSteps the run's planned number of steps
   * @param poison testing aid: multiply the loss by NaN
   */
  public Result run(
      DitModel model,
      NDManager root,
      TokenBatch x0,
      Rng rng,
      long step,
      long totalSteps,
      boolean poison) {
    return run(model, root, x0, null, rng, step, totalSteps, poison);
  }

  /**
   * {@link #run(DitModel, NDManager, TokenBatch, Rng, long, long, boolean)} with the SFT loss mask:
   * micro-batch j gets rows j·B/K .. of {@code given} as its {@link TrainingBatch#given}.
   *
   * @param given {@code [B, L]}, true at prompt positions; null when nothing is given
   */
  public Result run(
      DitModel model,
      NDManager root,
      TokenBatch x0,
      boolean[] given,
      Rng rng,
      long step,
      long totalSteps,
      boolean poison) {
    Map<String, NDArray> params = model.parameters();
    int batch = x0.batch();
    int length = x0.length();
    int micro = batch / accumulation;
    double[] t = family.schedule() != null ? times.sampleGlobal(batch, rng) : new double[batch];
    double lossSum = 0;
    try (NDManager sub = root.newSubManager()) {
      for (NDArray p : params.values()) {
        p.tempAttach(sub);
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        for (int j = 0; j < accumulation; j++) {
          // Activations attach to the manager of the micro-step's inputs; closing it after
          // backward frees them, so accumulation bounds peak memory by the micro-batch.
          try (NDManager mm = sub.newSubManager()) {
            TrainingBatch mb =
                new TrainingBatch(
                    Arrays.copyOfRange(x0.ids(), j * micro * length, (j + 1) * micro * length),
                    micro,
                    length,
                    Arrays.copyOfRange(t, j * micro, (j + 1) * micro),
                    specials,
                    rng.split(),
                    step,
                    totalSteps,
                    given == null
                        ? null
                        : Arrays.copyOfRange(given, j * micro * length, (j + 1) * micro * length));
            DjlBackbone frozen = teacher != null ? new DjlBackbone(teacher, mm, null) : null;
            NDArray loss = objective.loss(mb, new DjlBackbone(model, mm, frozen), objectiveName);
            if (poison) {
              loss = loss.mul(model.constant(Float.NaN));
            }
            double l = loss.getFloat();
            lossSum += l;
            if (!Double.isFinite(l)) {
              return new Result(l, Double.NaN, null);
            }
            gc.backward(accumulation > 1 ? loss.div(model.constant(accumulation)) : loss);
          }
        }
      }
      double gradNorm =
          clipNorm > 0
              ? GradClip.clip(params.values(), clipNorm)
              : GradClip.globalNorm(params.values());
      String bad = Double.isFinite(gradNorm) ? null : GradClip.firstNonFinite(params);
      return new Result(lossSum / accumulation, gradNorm, bad);
    }
  }
}

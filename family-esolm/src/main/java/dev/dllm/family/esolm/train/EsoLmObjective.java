package dev.dllm.family.esolm.train;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.esolm.EsoLmBatch;
import dev.dllm.family.esolm.EsoLmFamily;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The DJL training loss of {@code esolm} (spec §4.1; [SD]/[ESO] algo.py {@code EsoLM._loss}): the
 * batch-split estimator drawn by {@link EsoLmBatch#draw} (z_t, z_0 and the orders from the
 * micro-batch's Rng), one forward per branch through the family-driven seam with rotary positions
 * and an explicit additive attention bias (sorted-causal for the diffusion rows, the two-stream
 * mask for the AR rows, sigma = 0), then {@link EsoLmLoss}. Equals {@link EsoLmFamily#splitLoss} on
 * the same network and Rng (conformance test).
 *
 * <ul>
 *   <li>{@code elbo} (default): diffusion rows weighted by alpha_0 (1 − ε) / (1 − alpha_t).
 *   <li>{@code low_var}: weight 1 (training only, spec §4.1 "low_var").
 * </ul>
 *
 * <p>alpha_0 and the batch split come from {@link #configure} (keys {@code alpha_0}, {@code
 * batch_split}, as in {@link EsoLmFamily#exportMetadata()}); the no-argument objective is [SD]'s
 * Eso-LM (B) with alpha_0 = 1.
 */
public final class EsoLmObjective implements TrainingObjective<NDArray> {
  private static final Set<String> OBJECTIVES = new LinkedHashSet<>(List.of("elbo", "low_var"));

  private final EsoLmFamily family;

  /** alpha_0 = 1, batch split 1 (ServiceLoader). */
  public EsoLmObjective() {
    this(new EsoLmFamily());
  }

  /** The objective of a configured family. */
  public EsoLmObjective(EsoLmFamily family) {
    this.family = family;
  }

  @Override
  public String family() {
    return "esolm";
  }

  @Override
  public Class<NDArray> arrayType() {
    return NDArray.class;
  }

  @Override
  public Set<String> objectives() {
    return Collections.unmodifiableSet(OBJECTIVES);
  }

  /** An objective for {@code family.configure(options)}. */
  @Override
  public EsoLmObjective configure(Map<String, String> options) {
    return new EsoLmObjective(family.configure(options));
  }

  /** The family whose alpha_0 and batch split this objective uses. */
  public EsoLmFamily esoLmFamily() {
    return family;
  }

  /**
   * @throws InvalidInputException for an unknown objective or a tokenizer without a mask id
   */
  @Override
  public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
    if (!OBJECTIVES.contains(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family esolm; expected one of "
              + OBJECTIVES);
    }
    int len = batch.length();
    EsoLmBatch eb =
        EsoLmBatch.draw(
            family,
            batch.x0(),
            batch.batch(),
            len,
            batch.t(),
            batch.specials(),
            batch.rng(),
            objective.equals("low_var"));
    int n = eb.diffusionRows();
    int a = eb.arRows();
    NDArray diff = null;
    if (n > 0) {
      float[] w = new float[n];
      for (int b = 0; b < n; b++) {
        w[b] = (float) eb.weights()[b];
      }
      NDArray logits = forward(net, eb.diffusionInput(), eb.diffusionLayout());
      diff =
          EsoLmLoss.branchSum(
              logits,
              net.ids(eb.diffusionTargets(), n, len),
              net.floats(eb.diffusionValid(), n, len),
              net.floats(w, n),
              eb.mask());
    }
    NDArray ar = null;
    if (a > 0) {
      NDArray logits = forward(net, eb.arInput(), eb.arLayout());
      ar =
          EsoLmLoss.branchSum(
              logits,
              net.ids(eb.arTargets(), a, len),
              net.floats(eb.arValid(), a, len),
              null,
              eb.mask());
    }
    return EsoLmLoss.combine(
        diff, net.constant((double) n * len), ar, net.constant((double) a * len));
  }

  /**
   * One forward with the layout's positions and its pattern as an additive bias {@code [1, 1, S,
   * S]} when it is shared by every row (both Eso-LM patterns are, in sorted indices), else {@code
   * [R, 1, S, S]}.
   */
  private static NDArray forward(Backbone<NDArray> net, int[] ids, AttentionLayout layout) {
    int rows = layout.batch();
    int s = layout.length();
    int biasRows = layout.shared() ? 1 : rows;
    return net.forward(
        net.ids(ids, rows, s),
        null,
        net.ids(layout.positions(), rows, s),
        net.floats(layout.additiveMask(), biasRows, 1, s, s));
  }
}

package dev.dllm.family.esolm.train;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Corruption;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.esolm.EsoLmBatch;
import dev.dllm.family.esolm.EsoLmFamily;
import dev.dllm.family.esolm.Orders;
import java.util.Arrays;
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
 *
 * <p>Supervised fine-tuning ({@link TrainingBatch#given()} non-null, issue 17; spec §11.1 "Eso-LM:
 * given positions come first in the order", §11.2): the batch is drawn as in pre-training (z_t of
 * the diffusion rows, then z_0 of the AR rows: one uniform per position, given ones included, so
 * the free positions see the same noise on the same Rng), then the clean ids are put back at the
 * given positions of z_t and z_0, and the orders are drawn from the same split with the given
 * positions first, left to right ({@code Orders.diffusion/sequential} with {@code given}, as {@code
 * EsoLmFamily#conditionalNelbo} and the conditional sampler order them). Given positions are clean
 * in the input, so never valid targets, and never scored. <b>Normaliser</b>: each part is divided
 * by its own number of free positions instead of its B_part·L (at least 1): diffusionSum /
 * free(diffusion rows) + arSum / free(AR rows). With alpha_0 = 1 (all rows diffusion) and {@code
 * elbo}, loss × free count equals {@code EsoLmFamily#conditionalNelbo} for a batch of one row on
 * the same Rng. With {@code given == null} the loss is computed exactly as before.
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
    boolean lowVar = objective.equals("low_var");
    EsoLmBatch eb =
        batch.given() == null
            ? EsoLmBatch.draw(
                family,
                batch.x0(),
                batch.batch(),
                len,
                batch.t(),
                batch.specials(),
                batch.rng(),
                lowVar)
            : drawGiven(family, batch, lowVar);
    int n = eb.diffusionRows();
    int a = eb.arRows();
    long diffusionTokens = (long) n * len;
    long arTokens = (long) a * len;
    if (batch.given() != null) {
      diffusionTokens = Math.max(1, free(batch.given(), 0, n * len));
      arTokens = Math.max(1, free(batch.given(), n * len, batch.x0().length));
    }
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
        diff, net.constant((double) diffusionTokens), ar, net.constant((double) arTokens));
  }

  private static long free(boolean[] given, int from, int to) {
    long n = 0;
    for (int i = from; i < to; i++) {
      n += given[i] ? 0 : 1;
    }
    return n;
  }

  /**
   * {@link EsoLmBatch#draw} of an SFT batch (see the class comment): the same draws of z_t and z_0,
   * the clean ids put back at the given positions, then the orders with the given positions first.
   */
  static EsoLmBatch drawGiven(EsoLmFamily family, TrainingBatch batch, boolean lowVar) {
    int b = batch.batch();
    int length = batch.length();
    int[] x0 = batch.x0();
    boolean[] given = batch.given();
    int mask = Corruption.maskId(batch.specials(), "esolm");
    double alpha0 = family.alpha0();
    int n = alpha0 == 1 ? b : alpha0 == 0 ? 0 : (int) Math.floor(family.batchSplit() * b);
    Rng rng = batch.rng();
    int[] xd = Arrays.copyOfRange(x0, 0, n * length);
    double[] td = Arrays.copyOf(batch.t(), n);
    int[] zt = family.corrupt(xd, n, length, td, batch.specials(), rng);
    int[] z0 = Arrays.copyOfRange(x0, n * length, b * length);
    double move = 1 - alpha0;
    for (int i = 0; i < z0.length; i++) {
      if (move == 1 || rng.uniform() < move) {
        z0[i] = mask;
      }
    }
    boolean[] givenD = Arrays.copyOfRange(given, 0, n * length);
    boolean[] givenA = Arrays.copyOfRange(given, n * length, b * length);
    for (int i = 0; i < zt.length; i++) {
      if (givenD[i]) {
        zt[i] = xd[i];
      }
    }
    for (int i = 0; i < z0.length; i++) {
      if (givenA[i]) {
        z0[i] = x0[n * length + i];
      }
    }
    Rng orderRng = rng.split();
    int[][] dOrders = new int[n][];
    for (int row = 0; row < n; row++) {
      dOrders[row] = Orders.diffusion(zt, row * length, length, mask, givenD, orderRng);
    }
    int[][] aOrders = new int[b - n][];
    for (int row = 0; row < b - n; row++) {
      aOrders[row] = Orders.sequential(z0, row * length, length, mask, givenA, orderRng);
    }
    double[] w = new double[n];
    for (int row = 0; row < n; row++) {
      w[row] = lowVar ? 1 : family.schedule().elboWeight(td[row]);
    }
    return new EsoLmBatch(b, length, mask, n, x0.clone(), zt, z0, dOrders, aOrders, w);
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

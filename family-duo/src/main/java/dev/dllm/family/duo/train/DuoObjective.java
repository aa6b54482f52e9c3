package dev.dllm.family.duo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.schedule.LogLinearSchedule;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.Distillation;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.duo.DuoFamily;
import dev.dllm.family.duo.curriculum.GammaBand;
import dev.dllm.family.duo.curriculum.TauSchedule;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The DJL training loss of the {@code duo} family ({@link DuoLoss}: the continuous-time Duo NELBO,
 * spec §3.2, [SD] algo.py {@code DUO_BASE._nll_per_token}, summed over all B·L positions / B·L).
 *
 * <ul>
 *   <li>{@code elbo} (default): uniform corruption under the log-linear schedule, one forward of
 *       z_t at sigma = −log alpha_t; loss × B·L equals {@code DuoFamily#nelbo} on the same inputs
 *       and Rng.
 *   <li>{@code curriculum} (spec §3.5, [DUO] {@code DUO.nll}): during the first half of the run
 *       (steps &lt;= totalSteps/2, as the OWT recipe's 500k curriculum + 500k fine-tuning), t maps
 *       to γ ∈ [{@value #GAMMA_MIN}, {@value #GAMMA_MAX}] (the OWT band), alpha_t comes from the
 *       Gaussian-to-discrete table, the network sees the soft input softmax(w/τ) (τ = 10^{@value
 *       #LOG10_TAU}, top-{@value #TOP_K} latent) and the loss is the Duo NELBO at z_t = argmax w;
 *       afterwards it is {@code elbo}. Validation always uses the plain NELBO (the trainer calls
 *       {@code DuoFamily#nelbo}).
 *   <li>{@code dcd} (training only, not a bound; spec §9.1, {@link DcdLoss}): Discrete Consistency
 *       Distillation against the run's frozen teacher ({@link Backbone#teacher()}), with dt =
 *       2^round / T, round = step / {@code steps_per_round} (the trainer's teacher round) and T =
 *       option {@value #DCD_STEPS} (default {@value #DEFAULT_DCD_STEPS}, scripts/distil_owt.sh);
 *       refused with a clear message when the run has no teacher.
 * </ul>
 *
 * {@code low_var} is refused: the reference ignores it for Duo (spec §3.2).
 *
 * <p>Supervised fine-tuning ({@link TrainingBatch#given()} non-null, issue 17; spec §11.2 "For Duo:
 * corrupt response positions only (uniform noise), NELBO terms on response positions"): every
 * objective keeps the given (prompt) positions clean in the network input and leaves them out of
 * the loss; the <b>normaliser</b> is the number of free positions Σ_b #{l : not given(b, l)} (at
 * least 1) instead of B·L.
 *
 * <ul>
 *   <li>{@code elbo}: z_t is drawn exactly as in pre-training (given positions included, so the
 *       free ones see the same noise on the same Rng), then z_t = x0 at the given positions; loss ×
 *       free count equals {@code DuoFamily#conditionalNelbo} on the same z_t.
 *   <li>{@code curriculum}: no latent is drawn at a given position (the draw's length depends on
 *       the token); its soft input is exactly one-hot on the clean id ({@link
 *       CurriculumLatent#draw}) and z_t = x0 there.
 *   <li>{@code dcd}: the student's z_t and the teacher's z_s are both x0 at the given positions (no
 *       coupled latent is drawn there); the KL is averaged over the free positions ({@link
 *       DcdLoss}).
 * </ul>
 *
 * With {@code given == null} every objective computes exactly what it did before (the same draws
 * and graph).
 */
public final class DuoObjective implements TrainingObjective<NDArray> {
  /** The curriculum's γ band (OWT recipe, spec §3.5 item 1). */
  public static final double GAMMA_MIN = -3.55;

  public static final double GAMMA_MAX = -1.85;

  /** log10 τ during the curriculum (OWT/LM1B scripts: −3 throughout). */
  public static final double LOG10_TAU = -3;

  /** Kept latent coordinates per token (spec §3.5 item 7). */
  public static final int TOP_K = 64;

  /** Option key of T, the grid of the distillation step dt = 2^round / T. */
  public static final String DCD_STEPS = "dcd_steps";

  /** T of scripts/distil_owt.sh (spec §9.1). */
  public static final int DEFAULT_DCD_STEPS = 512;

  /** Option key the trainer sets to the teacher round length K when the run keeps a teacher. */
  public static final String STEPS_PER_ROUND = "steps_per_round";

  private static final Set<String> OBJECTIVES =
      Collections.unmodifiableSet(new LinkedHashSet<>(List.of("elbo", "curriculum", "dcd")));
  private static final DuoFamily FAMILY = new DuoFamily();
  private final LogLinearSchedule schedule = new LogLinearSchedule();
  private final long stepsPerRound;
  private final int dcdSteps;

  /** Unconfigured: no teacher rounds, T = {@value #DEFAULT_DCD_STEPS}. */
  public DuoObjective() {
    this(0, DEFAULT_DCD_STEPS);
  }

  private DuoObjective(long stepsPerRound, int dcdSteps) {
    this.stepsPerRound = stepsPerRound;
    this.dcdSteps = dcdSteps;
  }

  /**
   * Reads {@value #STEPS_PER_ROUND} (the trainer's teacher round, absent = no teacher) and {@value
   * #DCD_STEPS}; other keys are ignored.
   *
   * @throws InvalidInputException naming the key when a value is not a positive integer
   */
  @Override
  public DuoObjective configure(Map<String, String> options) {
    long rounds = positive(options, STEPS_PER_ROUND, 0);
    long grid = positive(options, DCD_STEPS, DEFAULT_DCD_STEPS);
    if (grid > Integer.MAX_VALUE) {
      throw new InvalidInputException(
          "--option " + DCD_STEPS + "=" + grid + ": expected at most " + Integer.MAX_VALUE);
    }
    return new DuoObjective(rounds, (int) grid);
  }

  /** {@value #DCD_STEPS}, T of the distillation step dt = 2^round / T. */
  @Override
  public Set<String> trainingOptions() {
    return Set.of(DCD_STEPS);
  }

  /**
   * {@code dcd} with T in {@value #DCD_STEPS} (default {@value #DEFAULT_DCD_STEPS}): what {@code
   * dllm distill} runs on a Duo checkpoint.
   */
  @Override
  public Optional<Distillation> distillation() {
    return Optional.of(
        new Distillation("dcd", DCD_STEPS, DEFAULT_DCD_STEPS, "Discrete Consistency Distillation"));
  }

  private static long positive(Map<String, String> options, String key, long fallback) {
    String v = options.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidInputException("--option " + key + "=" + v + ": expected a positive integer");
  }

  @Override
  public String family() {
    return "duo";
  }

  @Override
  public Class<NDArray> arrayType() {
    return NDArray.class;
  }

  /** {@code elbo} (default), {@code curriculum} and {@code dcd}. */
  @Override
  public Set<String> objectives() {
    return OBJECTIVES;
  }

  /**
   * The loss of one micro-batch (see the class comment); {@code elbo} corrupts x0 over the
   * backbone's V with {@link DuoFamily#corrupt(int[], int, int, double[], int,
   * dev.dllm.api.sample.Rng)} (first use of the batch's Rng, as in {@code DuoFamily#nelbo}).
   *
   * @throws InvalidInputException for an unknown objective
   */
  @Override
  public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
    requireKnown(objective);
    int b = batch.batch();
    int length = batch.length();
    int vocab = net.vocabSize();
    if (objective.equals("dcd")) {
      return DcdLoss.loss(batch, net, stepsPerRound, dcdSteps);
    }
    DuoLoss.Constants c = DuoLoss.Constants.of(net);
    if (objective.equals("curriculum") && curriculumStep(batch.step(), batch.totalSteps())) {
      GammaBand band = new GammaBand(GAMMA_MIN, GAMMA_MAX, vocab);
      double tau = new TauSchedule(LOG10_TAU, LOG10_TAU, 0, Long.MAX_VALUE).tau(batch.step());
      CurriculumLatent z = CurriculumLatent.draw(batch, vocab, band, TOP_K, tau);
      NDArray sigma = net.floats(z.sigma(), b);
      NDArray weights = softInput(z, b, length, vocab, sigma.getManager());
      NDArray logits = net.forwardSoft(weights, sigma);
      weights.close(); // [B, L, V] and no gradient: autograd keeps softmax(weights), not weights
      return DuoLoss.nelbo(
          logits,
          batch.x0(),
          z.zt(),
          batch.given(),
          z.alpha(),
          z.move(),
          z.alphaPrime(),
          batch.specials().mask(),
          c,
          true);
    }
    int[] zt = FAMILY.corrupt(batch.x0(), b, length, batch.t(), vocab, batch.rng());
    if (batch.given() != null) {
      for (int i = 0; i < zt.length; i++) {
        if (batch.given()[i]) {
          zt[i] = batch.x0()[i]; // the prompt is never corrupted
        }
      }
    }
    float[] sigma = new float[b];
    for (int i = 0; i < b; i++) {
      sigma[i] = (float) schedule.sigma(batch.t()[i]);
    }
    NDArray logits = net.forward(net.ids(zt, b, length), net.floats(sigma, b));
    return elbo(logits, batch.x0(), zt, batch.given(), batch.t(), batch.specials().mask(), c, true);
  }

  /**
   * The dense soft input {@code [B, L, V]} built on the engine: {@link CurriculumLatent#DROPPED}
   * everywhere, the k kept w/τ scattered in (so no B·L·V array passes through Java).
   */
  static NDArray softInput(CurriculumLatent z, int b, int length, int vocab, NDManager m) {
    Shape kShape = new Shape(b, length, z.kept());
    try (NDArray base = m.full(new Shape(b, length, vocab), CurriculumLatent.DROPPED);
        NDArray idx = m.create(z.ids(), kShape);
        NDArray val = m.create(z.values(), kShape)) {
      return base.scatter(idx, val, 2);
    }
  }

  /** Whether {@code step} is in the curriculum part of a run of {@code totalSteps} steps. */
  public static boolean curriculumStep(long step, long totalSteps) {
    return step <= totalSteps / 2;
  }

  /**
   * The {@code elbo} loss in nats per position from given logits; constants are created on the
   * logits' manager, which must outlive backward.
   *
   * @param logits {@code [B, L, V]} network outputs on zt at sigma = −log alpha_t
   * @param x0 clean tokens {@code [B, L]} row-major
   * @param zt the network input {@code [B, L]} row-major
   * @param t times {@code [B]} in (0, 1]
   * @param maskId the mask id (its logit is set to −1e6), or negative for none
   * @throws InvalidInputException for an objective other than {@code elbo}
   */
  public NDArray loss(
      NDArray logits, int[] x0, int[] zt, double[] t, int maskId, String objective) {
    if (!"elbo".equals(objective)) {
      requireKnown(objective);
      throw new InvalidInputException("the " + objective + " loss needs the training backbone");
    }
    return elbo(logits, x0, zt, null, t, maskId, DuoLoss.Constants.of(logits.getManager()), false);
  }

  private NDArray elbo(
      NDArray logits,
      int[] x0,
      int[] zt,
      boolean[] given,
      double[] t,
      int maskId,
      DuoLoss.Constants c,
      boolean consumeLogits) {
    int b = t.length;
    double[] alpha = new double[b];
    double[] move = new double[b];
    double[] alphaPrime = new double[b];
    for (int i = 0; i < b; i++) {
      if (!(t[i] > 0 && t[i] <= 1)) {
        throw new IllegalArgumentException("the Duo loss needs t in (0, 1], got " + t[i]);
      }
      alpha[i] = schedule.alpha(t[i]);
      move[i] = schedule.moveProbability(t[i]);
      alphaPrime[i] = schedule.alphaDerivative(t[i]);
    }
    return DuoLoss.nelbo(logits, x0, zt, given, alpha, move, alphaPrime, maskId, c, consumeLogits);
  }

  private static void requireKnown(String objective) {
    if (!OBJECTIVES.contains(objective)) {
      throw new InvalidInputException(
          "objective '"
              + objective
              + "' is not supported by family duo; expected one of "
              + OBJECTIVES
              + " (Duo trains the ELBO, or distils with dcd; low_var is not offered, spec §3.2)");
    }
  }
}

package dev.dllm.api.train;

import java.util.Set;

/**
 * A family's training loss on an engine's arrays (the DJL implementations live in each family's
 * {@code .train} subpackage and use {@code ai.djl.ndarray.NDArray} as {@code A}). Registered in
 * {@code META-INF/services/dev.dllm.api.train.TrainingObjective}; the trainer picks the one whose
 * {@link #family()} and {@link #arrayType()} match. The math equals the family's float64 {@code
 * DiffusionFamily#nelbo} (a conformance test checks it), except for training-only objectives such
 * as {@code low_var}.
 *
 * <p>This interface names no engine type, so the api module stays free of DJL.
 *
 * @param <A> the engine's array type
 */
public interface TrainingObjective<A> {

  /** Family name this objective trains ({@code ar}, {@code mdlm}, ...). */
  String family();

  /** The engine array type, e.g. {@code ai.djl.ndarray.NDArray.class}. */
  Class<A> arrayType();

  /**
   * This objective configured by the family's string options (e.g. Eso-LM's {@code alpha_0} and
   * {@code batch_split}; {@code configure(family.exportMetadata())} matches a configured {@link
   * dev.dllm.api.DiffusionFamily}). Unknown keys are ignored; the default returns {@code this}.
   *
   * @throws dev.dllm.api.InvalidInputException naming the key for a malformed value
   */
  default TrainingObjective<A> configure(java.util.Map<String, String> options) {
    return this;
  }

  /**
   * Objective names accepted by {@link #loss}, the first being the default (e.g. elbo, low_var).
   */
  Set<String> objectives();

  /**
   * Option keys this objective reads only during training (e.g. Duo's curriculum band), beyond the
   * family's own keys in {@code exportMetadata()}; the trainer refuses {@code --option} keys that
   * neither knows.
   */
  default Set<String> trainingOptions() {
    return Set.of();
  }

  /**
   * The distillation objective this family offers to {@code dllm distill}, if any (Duo: DCD, spec
   * §9.1). Its {@link Distillation#objective()} is one of {@link #objectives()} and needs the run's
   * frozen teacher ({@link Backbone#teacher()}). The default: none.
   */
  default java.util.Optional<Distillation> distillation() {
    return java.util.Optional.empty();
  }

  /**
   * The scalar loss of one micro-batch, in nats per position: the family corrupts {@code
   * batch.x0()} itself, runs the network through {@code net} and returns the loss whose gradient
   * the trainer back-propagates.
   *
   * <p>MDLM-style families: sum of weighted per-token losses over all B·L positions divided by B·L
   * (spec §2.2, §10.3). AR: mean CE over the B·(L-1) next-token targets (spec §5).
   *
   * @param batch the micro-batch (clean tokens {@code [B, L]}, times {@code [B]}, random source)
   * @param net the network and array factories of this micro-batch (see {@link Backbone} for the
   *     autograd rule on scalars)
   * @param objective one of {@link #objectives()}
   * @return a scalar array
   * @throws dev.dllm.api.InvalidInputException for an objective the family does not support
   */
  A loss(TrainingBatch batch, Backbone<A> net, String objective);
}

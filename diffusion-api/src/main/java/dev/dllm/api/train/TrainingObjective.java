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
   * Objective names accepted by {@link #loss}, the first being the default (e.g. elbo, low_var).
   */
  Set<String> objectives();

  /**
   * The scalar loss to minimise, in nats per position.
   *
   * <p>MDLM-style families: sum of weighted per-token losses over all B·L positions divided by B·L
   * (spec §2.2, §10.3). AR: mean CE over the B·(L-1) next-token targets (spec §5).
   *
   * @param logits network outputs {@code [B, L, V]} float32 for the input {@code zt}
   * @param x0 clean tokens {@code [B, L]} int32/int64
   * @param zt the network input {@code [B, L]} (z_t from {@code DiffusionFamily#corrupt}; x0 for
   *     AR)
   * @param t diffusion time per row {@code [B]} float32/float64 (ignored by AR)
   * @param maskId the tokenizer's mask id (its logit is suppressed with -1e6)
   * @param objective one of {@link #objectives()}
   * @return a scalar array
   */
  A loss(A logits, A x0, A zt, A t, int maskId, String objective);
}

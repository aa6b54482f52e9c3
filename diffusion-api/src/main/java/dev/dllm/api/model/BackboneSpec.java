package dev.dllm.api.model;

/**
 * What a family needs from the DiT backbone (spec §7).
 *
 * @param attention attention pattern
 * @param timeConditioned whether sigma = -log alpha_t is fed to adaLN (otherwise sigma = 0, the
 *     adaLN layers still exist)
 */
public record BackboneSpec(Attention attention, boolean timeConditioned) {

  /** Attention patterns of the reference DiT. */
  public enum Attention {
    /** Every query sees every key (MDLM, Duo). */
    BIDIRECTIONAL,
    /** Query j sees keys i &lt;= j (AR). */
    CAUSAL,
    /** Causal over a per-row permutation of positions (Eso-LM B, spec §4.3). */
    SORTED_CAUSAL
  }
}

/**
 * Interpolating diffusion, Eso-LM (B) (spec §4): {@link dev.dllm.family.esolm.EsoLmFamily}
 * (schedule with alpha_0 in [0, 1], corruption, the float64 bound L_AR + L_MDM with the diffusion
 * and the sequential branch, the batch-split estimator), {@link dev.dllm.family.esolm.Orders}
 * (sort_idx and permutation bookkeeping), {@link dev.dllm.family.esolm.EsoLmLayouts} (attention
 * masks) and {@link dev.dllm.family.esolm.EsoLmSampler} (binomial plan, sequential phase, windowed
 * KV cache).
 *
 * <p>Conditioning (spec §11.1): given positions are already decoded, first in every order (left to
 * right), never redrawn, corrupted or scored; the sampler draws its plan and order over the free
 * positions per row ({@link dev.dllm.family.esolm.EsoLmSampler#sample(dev.dllm.api.Denoiser,
 * dev.dllm.api.sample.Conditioning, dev.dllm.api.tokenize.SpecialTokens, dev.dllm.api.sample.Rng[],
 * dev.dllm.api.sample.StepListener)}, with the KV cache the prompt is encoded once in the first
 * window call); {@link dev.dllm.family.esolm.EsoLmFamily#conditionalNelbo} is the bound of the free
 * positions given the others.
 */
package dev.dllm.family.esolm;

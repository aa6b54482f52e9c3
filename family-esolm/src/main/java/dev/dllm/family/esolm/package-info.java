/**
 * Interpolating diffusion, Eso-LM (B) (spec §4): {@link dev.dllm.family.esolm.EsoLmFamily}
 * (schedule with alpha_0 in [0, 1], corruption, the float64 bound L_AR + L_MDM with the diffusion
 * and the sequential branch, the batch-split estimator), {@link dev.dllm.family.esolm.Orders}
 * (sort_idx and permutation bookkeeping), {@link dev.dllm.family.esolm.EsoLmLayouts} (attention
 * masks) and {@link dev.dllm.family.esolm.EsoLmSampler} (binomial plan, sequential phase, windowed
 * KV cache).
 *
 * <p>Not registered with the ServiceLoader yet ({@code dllm families} does not list it): the DJL
 * training objective (which needs the trainer's family-driven forward with positions and an
 * attention mask) and the ONNX export of the sorted-causal graphs are still missing.
 */
package dev.dllm.family.esolm;

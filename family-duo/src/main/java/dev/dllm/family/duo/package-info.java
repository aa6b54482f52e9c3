/**
 * Uniform-state diffusion (Duo, spec §3): {@link dev.dllm.family.duo.DuoFamily} (corruption,
 * float64 NELBO, the ancestral sampler with greedy tail), the float64 per-token math {@link
 * dev.dllm.family.duo.DuoMath} and the Gaussian-to-discrete transformation {@link
 * dev.dllm.family.duo.GaussianDuality}. The DJL training loss lives in the {@code .train}
 * subpackage.
 */
package dev.dllm.family.duo;

/**
 * Uniform-state diffusion (Duo, spec §3). Not yet implemented, so the family is not registered with
 * the ServiceLoader: {@code dllm families} does not list it.
 */
package dev.dllm.family.duo;

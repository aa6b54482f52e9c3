/**
 * Interpolating diffusion (Eso-LM B, spec §4). Not yet implemented, so the family is not registered
 * with the ServiceLoader: {@code dllm families} does not list it.
 */
package dev.dllm.family.esolm;

package dev.dllm.api.sample;

import dev.dllm.api.TokenBatch;

/**
 * Sampled sequences and their cost.
 *
 * @param tokens ids {@code [B, L]}
 * @param nfe number of function (network) evaluations spent on the batch
 */
public record SampleBatch(TokenBatch tokens, int nfe) {}

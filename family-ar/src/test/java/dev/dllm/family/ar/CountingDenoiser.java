package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Wraps a denoiser and its KV-cache decoder, counting the network calls by kind: full forwards,
 * {@link KvCacheDecoder#next} and {@link KvCacheDecoder#prefill} (with the count of each prefill
 * and the length of each full forward).
 */
final class CountingDenoiser implements Denoiser {
  final Denoiser inner;
  int forwards;
  int nexts;
  int prefills;
  final List<Integer> prefillCounts = new ArrayList<>();
  final List<Integer> forwardLengths = new ArrayList<>();

  CountingDenoiser(Denoiser inner) {
    this.inner = inner;
  }

  int calls() {
    return forwards + nexts + prefills;
  }

  @Override
  public int vocabSize() {
    return inner.vocabSize();
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    forwards++;
    forwardLengths.add(tokens.length());
    return inner.forward(tokens, sigma);
  }

  @Override
  public Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    return inner
        .kvCacheDecoder(batch)
        .map(
            d ->
                new KvCacheDecoder() {
                  @Override
                  public Logits next(int[] tokens) {
                    nexts++;
                    return d.next(tokens);
                  }

                  @Override
                  public Logits prefill(int[] tokens, int count) {
                    prefills++;
                    prefillCounts.add(count);
                    return d.prefill(tokens, count);
                  }

                  @Override
                  public int position() {
                    return d.position();
                  }

                  @Override
                  public void close() {
                    d.close();
                  }
                });
  }
}

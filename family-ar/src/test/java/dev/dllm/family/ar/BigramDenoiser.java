package dev.dllm.family.ar;

import dev.dllm.api.Denoiser;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.util.Optional;

/**
 * A causal test network: the logits at position l are {@code table[x_l]}, so full forwards and the
 * KV-cache path agree exactly. Counts its calls: {@code cacheCalls} counts every decoder call
 * ({@code next} and {@code prefill}), {@code prefillCalls} the prefills alone (one network call
 * each, whatever the count).
 */
final class BigramDenoiser implements Denoiser {
  final float[][] table;
  final boolean offersCache;
  int forwardCalls;
  int cacheCalls;
  int prefillCalls;

  BigramDenoiser(float[][] table, boolean offersCache) {
    this.table = table;
    this.offersCache = offersCache;
  }

  @Override
  public int vocabSize() {
    return table.length;
  }

  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    forwardCalls++;
    int v = table.length;
    float[] out = new float[tokens.ids().length * v];
    for (int i = 0; i < tokens.ids().length; i++) {
      System.arraycopy(table[tokens.ids()[i]], 0, out, i * v, v);
    }
    return new Logits(out, tokens.batch(), tokens.length(), v);
  }

  @Override
  public Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    if (!offersCache) {
      return Optional.empty();
    }
    return Optional.of(
        new KvCacheDecoder() {
          int position;

          @Override
          public Logits next(int[] tokens) {
            cacheCalls++;
            position++;
            Logits l = forward(new TokenBatch(tokens, tokens.length, 1), null);
            forwardCalls--;
            return l;
          }

          @Override
          public Logits prefill(int[] tokens, int count) {
            cacheCalls++;
            prefillCalls++;
            position += count;
            Logits l = forward(new TokenBatch(tokens, tokens.length / count, count), null);
            forwardCalls--;
            return l;
          }

          @Override
          public int position() {
            return position;
          }

          @Override
          public void close() {}
        });
  }
}

package dev.dllm.family.esolm;

import static dev.dllm.family.esolm.EsoLmConditionalFixtures.L;
import static dev.dllm.family.esolm.EsoLmConditionalFixtures.assertHonours;
import static dev.dllm.family.esolm.EsoLmConditionalFixtures.sampler;
import static dev.dllm.family.esolm.TestModels.MASK;
import static dev.dllm.family.esolm.TestModels.SPECIALS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Conditional Eso-LM sampling (spec §4.4): what a prompt costs in KV-cache window calls. */
class EsoLmConditionalCostTest {
  /**
   * With the KV cache a prompt of P tokens is encoded once: the first window call of its group
   * feeds exactly the P given tokens plus the first k masks and commits the P tokens; no call feeds
   * a given position again; NFE = the window calls = the non-empty steps (&lt;= T) of the plan over
   * the L − P free positions.
   */
  @Test
  void promptCostsOnePrefillWindowCall() {
    ReferenceDit dit = TestModels.dit(Attention.SORTED_CAUSAL, 24);
    for (int p : new int[] {1, 5, 9}) {
      int[] prompt = TestModels.tokens(1, p, p);
      Conditioning given = Conditioning.prefixes(List.of(prompt, prompt), L);
      Spy spy = new Spy(dit);
      int steps = 4;
      SampleBatch s = sampler(1.0, steps, true).sample(spy, given, SPECIALS, new Rng(p));
      assertHonours(given, s);
      assertEquals(0, spy.forwards, "no full forward with the cache");
      assertEquals(1, spy.decoders, "one decoder for the two rows of equal prompt length");
      assertEquals(s.nfe(), spy.calls.size(), "NFE = window calls");
      assertTrue(s.nfe() <= steps, "at most T calls: the prompt adds none");
      int[] first = spy.calls.get(0);
      assertEquals(p, first[1], "the first call commits the prompt");
      assertTrue(first[0] > p, "and predicts the first masks in the same call");
      for (int b = 0; b < 2; b++) {
        for (int l = 0; l < p; l++) {
          assertEquals(prompt[l], spy.firstTokens[b * first[0] + l], "prompt fed in order");
          assertEquals(l, spy.firstPositions[b * first[0] + l], "at its own rotary position");
        }
      }
      for (int c = 1; c < spy.calls.size(); c++) {
        for (int pos : spy.positionsOf.get(c)) {
          assertTrue(pos >= p, "call " + c + " re-feeds prompt position " + pos);
        }
      }
      assertTrue(spy.maxCached < L, "the cache never exceeds the row: " + spy.maxCached);
    }
    // different prompt lengths: one decoder (and one prefill) per given count
    Spy spy = new Spy(dit);
    Conditioning two =
        Conditioning.prefixes(
            List.of(new int[] {1, 2}, new int[] {3, 4, 5, 6}, new int[] {0, 0}), L);
    SampleBatch s = sampler(1.0, 4, true).sample(spy, two, SPECIALS, new Rng(5));
    assertHonours(two, s);
    assertEquals(2, spy.decoders);
    assertEquals(s.nfe(), spy.calls.size());
  }

  /** Counts window calls (W, commit) and decoders; refuses full forwards. */
  private static final class Spy implements Denoiser {
    final ReferenceDit dit;
    final List<int[]> calls = new ArrayList<>();
    final List<int[]> positionsOf = new ArrayList<>();
    int[] firstTokens;
    int[] firstPositions;
    int forwards;
    int decoders;
    int maxCached;

    Spy(ReferenceDit dit) {
      this.dit = dit;
    }

    @Override
    public int vocabSize() {
      return dit.vocabSize();
    }

    @Override
    public Logits forward(TokenBatch t, float[] s) {
      forwards++;
      return dit.forward(t, s);
    }

    @Override
    public Logits forward(TokenBatch t, float[] s, AttentionLayout layout) {
      forwards++;
      return dit.forward(t, s, layout);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }

    @Override
    public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
      decoders++;
      WindowKvCacheDecoder inner = dit.windowKvCacheDecoder(batch).orElseThrow();
      return Optional.of(
          new WindowKvCacheDecoder() {
            @Override
            public Logits step(int[] tokens, int[] positions, int window, int commit) {
              if (firstTokens == null) {
                firstTokens = tokens.clone();
                firstPositions = positions.clone();
              }
              calls.add(new int[] {window, commit});
              // positions of the clean tokens fed (padding and masks are MASK)
              List<Integer> real = new ArrayList<>();
              for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] != MASK) {
                  real.add(positions[i]);
                }
              }
              positionsOf.add(real.stream().mapToInt(Integer::intValue).toArray());
              Logits out = inner.step(tokens, positions, window, commit);
              maxCached = Math.max(maxCached, inner.cached());
              return out;
            }

            @Override
            public int cached() {
              return inner.cached();
            }

            @Override
            public void close() {
              inner.close();
            }
          });
    }
  }
}

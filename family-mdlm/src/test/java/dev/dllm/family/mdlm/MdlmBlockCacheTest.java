package dev.dllm.family.mdlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * MDLM's {@code predictor=confidence cache=prefix|dual} (issue 20) over an exact block cache (a
 * second implementation: every slice is answered by a full forward of the refreshed rows with the
 * slice's tokens written in): the samples then equal {@code cache=none}'s draw for draw, and every
 * slice the sampler sends has the shape of Fast-dLLM's prefix or dual cache.
 */
class MdlmBlockCacheTest {
  static final int L = 8;

  static SampleBatch sample(Denoiser den, Conditioning given, long seed, String... kv) {
    Map<String, String> o = new HashMap<>();
    o.put("predictor", "confidence");
    o.put("threshold", "0.6");
    o.put("block_length", "3");
    for (int i = 0; i < kv.length; i += 2) {
      o.put(kv[i], kv[i + 1]);
    }
    return new MdlmFamily()
        .newSampler(new SamplerSpec(5, 1.0, o))
        .sample(
            den,
            given,
            MarkovOracle.SPECIALS,
            Conditioning.rowStreams(new Rng(seed), given.batch()),
            null);
  }

  @Test
  void exactCacheGivesTheSamplesOfNoCache() {
    Denoiser oracle = MarkovOracle.denoiser(L);
    int[] prompt = new int[3 * L];
    java.util.Arrays.fill(prompt, Conditioning.FREE);
    prompt[L] = 1; // row 1: a one-token prompt, so its blocks start at 1
    prompt[2 * L] = 3;
    prompt[2 * L + 1] = 0; // row 2: two tokens
    Conditioning given = Conditioning.of(prompt, 3, L);
    for (String mode : List.of("prefix", "dual")) {
      for (long seed = 1; seed <= 4; seed++) {
        ExactCache cache = new ExactCache(oracle, mode.equals("dual"));
        SampleBatch plain = sample(oracle, given, seed);
        SampleBatch cached = sample(new WithCache(oracle, cache), given, seed, "cache", mode);
        assertArrayEquals(
            plain.tokens().ids(), cached.tokens().ids(), mode + " seed " + seed + ": samples");
        assertTrue(cache.slices > 0, mode + ": no slice step was taken");
        assertTrue(cache.refreshes >= 3, mode + ": one full forward per block at least");
        assertEquals(cache.refreshes + cache.slices, cached.nfe());
      }
    }
  }

  @Test
  void cacheWithoutBlockGraphOrPredictorIsRefused() {
    Conditioning none = Conditioning.none(1, L);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> sample(MarkovOracle.denoiser(L), none, 1, "cache", "dual"));
    assertTrue(e.getMessage().contains("cache=dual needs a block KV graph"), e.getMessage());
    assertThrows(
        InvalidInputException.class,
        () -> sample(MarkovOracle.denoiser(L), none, 1, "cache", "full"));
    assertThrows(
        InvalidInputException.class,
        () -> new MdlmFamily().newSampler(new SamplerSpec(4, 1.0, Map.of("cache", "dual"))));
  }

  /** A denoiser that also offers {@code cache}. */
  record WithCache(Denoiser inner, BlockKvCacheDecoder cache) implements Denoiser {
    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      return inner.forward(tokens, sigma);
    }

    @Override
    public Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
      return Optional.of(cache);
    }
  }

  /**
   * Exact: a slice writes its real tokens into the refreshed rows and runs the full forward; it
   * checks that the slice is the current block (dual: the hidden cached keys are exactly the real
   * slots' positions) or [s, L) (prefix: the cached keys below s visible, the others hidden).
   */
  static final class ExactCache implements BlockKvCacheDecoder {
    final Denoiser inner;
    final boolean dual;
    int[] rows;
    int batch;
    int length;
    int refreshes;
    int slices;

    ExactCache(Denoiser inner, boolean dual) {
      this.inner = inner;
      this.dual = dual;
    }

    @Override
    public Logits refresh(TokenBatch tokens, float[] sigma) {
      refreshes++;
      rows = tokens.ids().clone();
      batch = tokens.batch();
      length = tokens.length();
      return inner.forward(tokens, sigma);
    }

    @Override
    public Logits slice(int[] tokens, int[] positions, int width, boolean[] visible, float[] s) {
      slices++;
      int[] x = rows.clone();
      for (int b = 0; b < batch; b++) {
        int o = b * (length + width);
        boolean[] inSlice = new boolean[length];
        int first = length;
        for (int j = 0; j < width; j++) {
          if (visible[o + length + j]) {
            int p = positions[b * width + j];
            inSlice[p] = true;
            first = Math.min(first, p);
            x[b * length + p] = tokens[b * width + j];
          }
        }
        for (int l = 0; l < length; l++) {
          boolean want = dual ? !inSlice[l] : l < first;
          assertEquals(want, visible[o + l], "visibility of cached key " + l + " of row " + b);
          if (!dual && l >= first) {
            assertTrue(inSlice[l], "prefix slice must cover [s, L), misses " + l);
          }
        }
      }
      Logits full = inner.forward(new TokenBatch(x, batch, length), s);
      int v = full.vocab();
      float[] out = new float[batch * width * v];
      for (int b = 0; b < batch; b++) {
        for (int j = 0; j < width; j++) {
          System.arraycopy(
              full.values(), full.offset(b, positions[b * width + j]), out, (b * width + j) * v, v);
        }
      }
      return new Logits(out, batch, width, v);
    }

    @Override
    public int batch() {
      return batch;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public void close() {}
  }
}

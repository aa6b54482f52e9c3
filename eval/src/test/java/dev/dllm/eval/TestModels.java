package dev.dllm.eval;

import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;

/** Small models and tokenizers for eval tests. */
public final class TestModels {
  private TestModels() {}

  /** A float64 reference DiT with random weights. */
  public static ReferenceDit randomDit(int vocab, Attention attention, long seed) {
    DitConfig cfg = new DitConfig(vocab, 16, 2, 2, 8, attention, 0.0);
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : DitLayout.shapes(cfg).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      for (int i = 0; i < n; i++) {
        d[i] = (float) (r.nextDouble() - 0.5);
      }
      m.put(e.getKey(), new Tensor(d, e.getValue()));
    }
    return new ReferenceDit(new DitWeights(cfg, m));
  }

  /**
   * A denoiser whose logits at every position depend only on the token there: {@code
   * rowOf.apply(token)} is the logits row (length V).
   */
  public static Denoiser perToken(int vocab, IntFunction<float[]> rowOf) {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        float[] out = new float[tokens.ids().length * vocab];
        for (int i = 0; i < tokens.ids().length; i++) {
          System.arraycopy(rowOf.apply(tokens.ids()[i]), 0, out, i * vocab, vocab);
        }
        return new Logits(out, tokens.batch(), tokens.length(), vocab);
      }
    };
  }

  /** A tokenizer over ids 0..V-1 written as letters 'a'+id, without special tokens. */
  public static Tokenizer letters(int vocab, String spec) {
    return letters(vocab, spec, new SpecialTokens(-1, -1, -1, -1));
  }

  /** {@link #letters(int, String)} with the given special ids. */
  public static Tokenizer letters(int vocab, String spec, SpecialTokens specials) {
    return new Tokenizer() {
      @Override
      public String spec() {
        return spec;
      }

      @Override
      public int vocabSize() {
        return vocab;
      }

      @Override
      public SpecialTokens specials() {
        return specials;
      }

      @Override
      public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
          int id = text.charAt(i) - 'a';
          if (id < 0 || id >= vocab) {
            throw new dev.dllm.api.InvalidInputException("unknown character " + text.charAt(i));
          }
          ids[i] = id;
        }
        return ids;
      }

      @Override
      public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
          sb.append((char) ('a' + id));
        }
        return sb.toString();
      }
    };
  }
}

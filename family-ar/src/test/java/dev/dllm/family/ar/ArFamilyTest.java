package dev.dllm.family.ar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.Denoiser;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ArFamilyTest {
  // V = 5: real tokens {0, 1, 3, 4}, mask id 2 (not V - 1)
  static final int V = 5;
  static final int MASK = 2;
  static final int[] REAL = {0, 1, 3, 4};
  static final SpecialTokens SPECIALS = new SpecialTokens(0, 1, -1, MASK);

  /** Uniform logits over the real tokens; a huge mask logit that SUBS must suppress. */
  static Denoiser uniformOverReal() {
    return new Denoiser() {
      @Override
      public int vocabSize() {
        return V;
      }

      @Override
      public Logits forward(TokenBatch tokens, float[] sigma) {
        float[] out = new float[tokens.ids().length * V];
        for (int i = 0; i < tokens.ids().length; i++) {
          out[i * V + MASK] = 30f;
        }
        return new Logits(out, tokens.batch(), tokens.length(), V);
      }
    };
  }

  @Test
  void oracleUniformDataGivesLn4PerToken() {
    int batch = 64;
    int length = 8;
    Random r = new Random(1);
    int[] x0 = new int[batch * length];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = REAL[r.nextInt(4)];
    }
    NllSum s = new ArFamily().nelbo(uniformOverReal(), x0, batch, length, null, SPECIALS, null);
    assertEquals(batch * (length - 1L), s.tokens());
    assertEquals(Math.log(4), s.perToken(), 1e-12);
    assertEquals(1.386294, s.perToken(), 1e-6);
  }

  @Test
  void nllMatchesAHandComputedBigramLikelihood() {
    float[][] table = {
      {1f, 2f, 9f, 0f, -1f},
      {0.5f, 0f, 9f, 3f, 1f},
      {0f, 0f, 0f, 0f, 0f},
      {-2f, 1f, 9f, 0f, 2f},
      {0f, 0f, 9f, 0f, 4f}
    };
    int[] x0 = {0, 3, 4, 4, 1, 0};
    // closed form: sum over transitions a -> b of -(table[a][b] - log sum_{v != mask}
    // e^{table[a][v]})
    double expected = 0;
    for (int l = 0; l < x0.length - 1; l++) {
      float[] row = table[x0[l]];
      double z = 0;
      for (int v = 0; v < V; v++) {
        if (v != MASK) {
          z += Math.exp(row[v]);
        }
      }
      expected += Math.log(z) - row[x0[l + 1]];
    }
    NllSum s =
        new ArFamily()
            .nelbo(new BigramDenoiser(table, false), x0, 1, x0.length, null, SPECIALS, new Rng(1));
    assertEquals(5, s.tokens());
    assertEquals(expected, s.nll(), 1e-12);
  }

  @Test
  void familyShape() {
    ArFamily ar = new ArFamily();
    assertEquals(new BackboneSpec(BackboneSpec.Attention.CAUSAL, false), ar.backbone());
    assertNull(ar.schedule());
    assertThrows(
        UnsupportedOperationException.class,
        () -> ar.corrupt(new int[2], 1, 2, new double[] {0.5}, SPECIALS, new Rng(1)));
  }

  @Test
  void registeredThroughServiceLoader() {
    assertInstanceOf(ArFamily.class, FamilyRegistry.load().get("ar"));
  }
}

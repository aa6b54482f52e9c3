package dev.dllm.family.ar.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.ar.ArFamily;
import java.util.Random;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ArCrossEntropyConformanceTest {
  static final int B = 3;
  static final int L = 7;
  static final int V = 11;
  static final int MASK = 4;

  @Test
  void djlLossTimesTokensEqualsFloat64Nll() {
    Random r = new Random(12);
    float[] values = new float[B * L * V];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (3 * r.nextGaussian());
    }
    int[] x0 = new int[B * L];
    for (int i = 0; i < x0.length; i++) {
      int v = r.nextInt(V - 1);
      x0[i] = v >= MASK ? v + 1 : v;
    }
    Logits fixed = new Logits(values, B, L, V);
    Denoiser denoiser =
        new Denoiser() {
          @Override
          public int vocabSize() {
            return V;
          }

          @Override
          public Logits forward(TokenBatch tokens, float[] sigma) {
            return fixed;
          }
        };
    NllSum ref =
        new ArFamily().nelbo(denoiser, x0, B, L, null, new SpecialTokens(0, 1, -1, MASK), null);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.create(values, new Shape(B, L, V));
      NDArray tokens = m.create(x0, new Shape(B, L));
      float loss = new ArCrossEntropy().loss(logits, tokens, tokens, null, MASK, "ce").getFloat();
      double djl = loss * (double) ref.tokens();
      assertEquals(ref.nll(), djl, 1e-4 * Math.abs(ref.nll()));
      assertTrue(ref.nll() > 0);
    }
  }

  @Test
  void registeredAndRejectsUnknownObjective() {
    boolean found = false;
    for (TrainingObjective<?> o : ServiceLoader.load(TrainingObjective.class)) {
      found |= o instanceof ArCrossEntropy && o.family().equals("ar");
    }
    assertTrue(found);
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray logits = m.zeros(new Shape(1, 2, 3));
      NDArray tokens = m.zeros(new Shape(1, 2));
      assertThrows(
          InvalidInputException.class,
          () -> new ArCrossEntropy().loss(logits, tokens, tokens, null, 0, "elbo"));
    }
  }
}

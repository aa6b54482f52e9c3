package dev.dllm.api.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MaskedSoftmaxTest {

  @Test
  void maskProbabilityIsZeroAndOthersRenormalise() {
    float[] logits = {0f, 50f, 0f, 0f}; // mask id 1 has the largest raw logit
    double[] p = MaskedSoftmax.softmax(logits, 0, 4, 1, new double[4]);
    assertEquals(0.0, p[1], 0);
    assertEquals(1.0 / 3, p[0], 1e-15);
    double[] logp = MaskedSoftmax.logSoftmax(logits, 0, 4, 1, new double[4]);
    assertEquals(-Math.log(3), logp[2], 1e-15);
    assertEquals(-Math.log(3), MaskedSoftmax.logProb(logits, 0, 4, 1, 3), 1e-15);
  }

  @Test
  void float64AgainstClosedForm() {
    float[] logits = {9f, 1f, 2f, 3f, 100f};
    // row at offset 1, vocab 3, no mask: log softmax of {1, 2, 3}
    double z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    assertEquals(2 - z, MaskedSoftmax.logProb(logits, 1, 3, -1, 1), 1e-14);
    double[] p = MaskedSoftmax.softmax(logits, 1, 3, -1, new double[3]);
    assertEquals(Math.exp(3 - z), p[2], 1e-15);
  }

  @Test
  void argmaxSkipsTheMaskAndTakesTheFirstOnTies() {
    float[] logits = {7f, 1f, 50f, 3f, 3f, -2f};
    // row at offset 1, vocab 4: {1, 50, 3, 3}; the mask (id 1, logit 50) is skipped, ids 2 and 3
    // tie
    assertEquals(2, MaskedSoftmax.argmax(logits, 1, 4, 1));
    assertEquals(1, MaskedSoftmax.argmax(logits, 1, 4, -1));
    assertEquals(0, MaskedSoftmax.argmax(logits, 0, 1, -1));
  }
}

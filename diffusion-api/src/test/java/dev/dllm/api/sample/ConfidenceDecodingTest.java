package dev.dllm.api.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The commit rule, proposal and blocks of confidence-threshold decoding on hand-made inputs. */
class ConfidenceDecodingTest {

  private static int[] identity(int n) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      o[i] = i;
    }
    return o;
  }

  private static Set<Integer> committed(ConfidenceDecoding rule, double[] c, int minCount) {
    int[] order = identity(c.length);
    int k = rule.select(c, c.length, minCount, order);
    Set<Integer> s = new HashSet<>();
    for (int j = 0; j < k; j++) {
      s.add(order[j]);
    }
    return s;
  }

  @Test
  void theTopOneIsCommittedEvenBelowTheThreshold() {
    ConfidenceDecoding rule = new ConfidenceDecoding(0.9, 4, false);
    assertEquals(Set.of(1), committed(rule, new double[] {0.2, 0.5, 0.3, 0.49}, 1));
    assertEquals(Set.of(0), committed(rule, new double[] {0.4}, 1));
    // a tie goes to the earlier position
    assertEquals(Set.of(1), committed(rule, new double[] {0.1, 0.3, 0.3}, 1));
  }

  @Test
  void everyProposalAtOrAboveTheThresholdIsCommitted() {
    ConfidenceDecoding rule = new ConfidenceDecoding(0.9, 8, false);
    double[] c = {0.95, 0.1, 0.91, 0.9, 0.8999, 1.0, 0.3};
    Set<Integer> expected = new HashSet<>();
    for (int i = 0; i < c.length; i++) {
      if (c[i] >= 0.9) {
        expected.add(i);
      }
    }
    assertEquals(expected, committed(rule, c, 1));
    // random confidences: the committed set is the top-1 plus the filter, checked independently
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 200; trial++) {
      double tau = r.nextDouble(0.05, 1.0);
      double[] d = new double[1 + r.nextInt(12)];
      int top = 0;
      for (int i = 0; i < d.length; i++) {
        d[i] = r.nextDouble();
        if (d[i] > d[top]) {
          top = i;
        }
      }
      Set<Integer> want = new HashSet<>(Set.of(top));
      for (int i = 0; i < d.length; i++) {
        if (d[i] >= tau) {
          want.add(i);
        }
      }
      assertEquals(want, committed(new ConfidenceDecoding(tau, 8, false), d, 1), "tau " + tau);
    }
  }

  @Test
  void theStepBudgetForcesTheMostConfidentFirst() {
    ConfidenceDecoding rule = new ConfidenceDecoding(0.99, 8, false);
    double[] c = {0.2, 0.6, 0.1, 0.5, 0.3};
    assertEquals(Set.of(1, 3, 4), committed(rule, c, 3));
    assertEquals(Set.of(0, 1, 2, 3, 4), committed(rule, c, 9));
    assertEquals(0, rule.select(new double[0], 0, 1, new int[0]));
  }

  @Test
  void aThresholdOfOneCommitsExactlyOneUnlessCertain() {
    ConfidenceDecoding rule = new ConfidenceDecoding(1.0, 8, false);
    assertEquals(1, committed(rule, new double[] {0.999999, 0.9999999, 0.5}, 1).size());
    assertEquals(Set.of(0, 2), committed(rule, new double[] {1.0, 0.9999999, 1.0}, 1));
  }

  @Test
  void confidenceIsTheArgmaxProbabilityWhateverIsDrawn() {
    int vocab = 5;
    int mask = 4;
    float[] z = {1.0f, 3.0f, -2.0f, 0.5f, 50f}; // the mask logit is huge and must be excluded
    Logits logits = new Logits(z, 1, 1, vocab);
    double sum = Math.exp(1.0) + Math.exp(3.0) + Math.exp(-2.0) + Math.exp(0.5);
    double[] conf = new double[1];
    double[] buffer = new double[vocab];
    int v =
        new ConfidenceDecoding(0.9, 1, true).propose(logits, 0, 0, mask, 1.0, null, buffer, conf);
    assertEquals(1, v);
    assertEquals(Math.exp(3.0) / sum, conf[0], 1e-12);
    int[] counts = new int[vocab];
    Rng rng = new Rng(5);
    ConfidenceDecoding sample = new ConfidenceDecoding(0.9, 1, false);
    int n = 20000;
    for (int i = 0; i < n; i++) {
      int d = sample.propose(logits, 0, 0, mask, 1.0, rng, buffer, conf);
      assertEquals(Math.exp(3.0) / sum, conf[0], 1e-12); // decided before the draw
      counts[d]++;
    }
    assertEquals(0, counts[mask]);
    for (int u = 0; u < mask; u++) { // 4.5 standard deviations
      double p = Math.exp(z[u]) / sum;
      assertEquals(p, counts[u] / (double) n, 4.5 * Math.sqrt(p * (1 - p) / n), "id " + u);
    }
  }

  @Test
  void blocksStartAtTheFirstFreePositionAndSkipGivenOnes() {
    boolean[] free = new boolean[14];
    Arrays.fill(free, 3, 9, true); // prompt 0..2, gap 3..8, given suffix 9..13
    ConfidenceBlocks c = ConfidenceBlocks.of(free, 4, 10);
    assertEquals(2, c.blocks()); // [3, 7), [7, 11); [11, 14) has no free position
    assertEquals(3, c.start());
    assertEquals(7, c.end());
    assertEquals(6, c.budget(0)); // 4 and 2 free positions: 10 * 4 / 6 = 6.67 -> 6, then 4
    assertEquals(4, c.budget(1));
    assertEquals(2, c.minCommits(9)); // ceil(9 / 6)
    assertEquals(1, c.minCommits(4));
    c.step(false);
    assertEquals(5, c.stepsLeft());
    c.step(true);
    assertEquals(7, c.start());
    assertEquals(11, c.end());
    assertEquals(4, c.stepsLeft());
    c.step(true);
    assertTrue(c.done());
    assertThrows(IllegalStateException.class, () -> c.step(true));
  }

  @Test
  void theBudgetFollowsTheFreePositionsAndGivesEveryBlockOne() {
    boolean[] free = new boolean[256];
    Arrays.fill(free, true);
    for (int steps : new int[] {1, 3, 8, 16, 64, 256, 1000}) {
      for (int block : new int[] {1, 7, 32, 256}) {
        ConfidenceBlocks c = ConfidenceBlocks.of(free, block, steps);
        int k = (256 + block - 1) / block;
        assertEquals(k, c.blocks());
        int sum = 0;
        for (int i = 0; i < k; i++) {
          int size = Math.min(256, (i + 1) * block) - i * block;
          assertTrue(c.budget(i) >= 1);
          if (steps >= 256) {
            assertTrue(c.budget(i) >= size, "T >= F: the budget never forces a commit");
          }
          sum += c.budget(i);
        }
        assertTrue(sum >= steps && sum < steps + k, "T " + steps + " S " + block + ": " + sum);
        if (block * (long) steps % 256 == 0) { // equal shares are exact: T / K each
          assertEquals(Math.max(steps, k), sum);
        }
      }
    }
  }

  @Test
  void stopAtEosFillsTheRowAfterTheFirstGeneratedEos() {
    boolean[] free = new boolean[8];
    Arrays.fill(free, 1, 8, true);
    ConfidenceBlocks c = ConfidenceBlocks.of(free, 3, 8);
    int[] x = {5, 6, 9, 7, -1, -1, -1, -1}; // 9 = EOS at position 2, block [1, 4) complete
    c.step(true);
    assertTrue(c.stopAtEos(x, 0, free, 9));
    assertArrayEquals(new int[] {5, 6, 9, 9, 9, 9, 9, 9}, x);
    assertTrue(c.done());
    ConfidenceBlocks d = ConfidenceBlocks.of(free, 3, 8);
    int[] y = {9, 6, 8, 7, 9, -1, -1, -1}; // a given EOS (0) and one in the open block (4)
    d.step(true);
    assertFalse(d.stopAtEos(y, 0, free, 9));
  }

  @Test
  void optionsAreParsedAndBadValuesRefused() {
    ConfidenceDecoding d = ConfidenceDecoding.parse(new SamplerSpec(8, 1.0, Map.of()));
    assertEquals(new ConfidenceDecoding(0.9, 32, false), d);
    ConfidenceDecoding e =
        ConfidenceDecoding.parse(
            new SamplerSpec(
                8, 1.0, Map.of("threshold", "0.7", "block_length", "16", "proposal", "argmax")));
    assertEquals(new ConfidenceDecoding(0.7, 16, true), e);
    for (Map<String, String> bad :
        new Map[] {
          Map.of("threshold", "0"),
          Map.of("threshold", "1.5"),
          Map.of("threshold", "x"),
          Map.of("block_length", "0"),
          Map.of("block_length", "2.5"),
          Map.of("proposal", "greedy")
        }) {
      InvalidInputException ex =
          assertThrows(
              InvalidInputException.class,
              () -> ConfidenceDecoding.parse(new SamplerSpec(8, 1.0, bad)));
      assertTrue(ex.getMessage().contains(bad.keySet().iterator().next()), ex.getMessage());
    }
  }
}

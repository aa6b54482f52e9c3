package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.conformance.RecordingBackbone.Fed;
import dev.dllm.conformance.RecordingBackbone.Rewrite;
import dev.dllm.trainer.model.DitModel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SFT loss-mask check of {@link FamilyConformanceTestCase#sftLossMasksThePrompt} (issue 17):
 * every objective of a family's DJL {@link TrainingObjective} honours {@link TrainingBatch#given()}
 * (true at prompt positions), which must be never corrupted and never scored. Per objective, on the
 * kit's tiny random DiT and a prompt mask whose length differs per row (row b: the first P_b = 1 +
 * (L/2 − 1 + b) mod (L − 1) positions, so row 0 has the first L/2):
 *
 * <ol>
 *   <li><b>An empty mask is pre-training</b>: {@code given} = all false gives the loss of {@code
 *       given == null} on the same Rng (up to float32 summation order, 1e-6 relative).
 *   <li><b>Prompt positions are never corrupted</b>: every token the objective feeds the network
 *       (the training backbone and, for distillation, its frozen teacher; ids, or the soft input's
 *       weights) is recorded; mapped back to the original frame by its rotary position (for a
 *       sorted or two-stream input, the first L tokens of a fed row are the noisy stream; rows are
 *       fed in batch order, across calls), the input equals x0 at every given position (a soft
 *       input puts all its mass, 1 − 1e-6, on x0 there).
 *   <li><b>The loss equals the float64 oracle</b> (objectives that are a bound, as check 2): for
 *       each row alone ({@code [1, L]}, the row's prompt), the DJL loss equals {@link
 *       DiffusionFamily#conditionalNelbo} over the independent float64 {@link ReferenceDit} on the
 *       same weights, divided by its {@link NllSum#tokens()} (the free positions; AR: the free
 *       targets l ≥ 1), with {@code rows = {new Rng(seed)}} and the batch's {@code new Rng(seed)}
 *       (three seeds; at least one comparison must be non-zero). Why one row: the objective draws
 *       from one batch stream, {@code conditionalNelbo} from one stream per row; for a batch of one
 *       row the two coincide (the family draws z_t, its given positions restored, then what
 *       follows, from the row's stream exactly as its unconditional {@code nelbo} does, which check
 *       2 ties to the objective), so the comparison is exact and uses the family's own conditional
 *       math. Multi-row batches are covered by parts 2 and 4.
 *   <li><b>A prompt token's target never changes the loss</b>: for diffusion the target and the
 *       input at a given position are the same id, so "change only the target" is done by the
 *       backbone: the objective runs on x0' (x0 with the id at one given position (b, p) changed)
 *       through a backbone that, before the network, writes x0[b, p] back into every fed token of
 *       row b whose original position is p (the soft input: swaps the weights of x0'[b, p] and
 *       x0[b, p]). The network then sees exactly the input of the run on x0, and only the target at
 *       (b, p) differs: the loss must be the same (1e-6 relative), for the first and the last given
 *       position of every row (for AR the latter is the label of the last prompt token, predicted
 *       at p − 1: where an off-by-one in the target mask shows). An objective that scores a given
 *       position, or corrupts it (then the fed id is not x0'[b, p] and the network sees something
 *       else), fails.
 *   <li>A batch whose every position is given has nothing to score: its loss is 0 (finite).
 * </ol>
 *
 * Training-only objectives (not a bound) go through parts 1, 2, 4 and 5. The objective is
 * configured with {@code steps_per_round} (as the trainer configures a run with a teacher) and the
 * backbone has a frozen teacher on the same weights, so distillation objectives run too.
 */
public final class SftMaskCheck {
  /** Relative tolerance of the invariances (parts 1 and 4): float32 summation order only. */
  static final double INVARIANCE_TOLERANCE = 1e-6;

  private final Fixture f;
  private final DiffusionFamily family;
  private final TrainingObjective<NDArray> objective;
  private final Set<String> trainingOnly;

  SftMaskCheck(
      Fixture f,
      DiffusionFamily family,
      TrainingObjective<NDArray> objective,
      Set<String> trainingOnly) {
    this.f = f;
    this.family = family;
    this.objective = objective.configure(Map.of("steps_per_round", "2"));
    this.trainingOnly = trainingOnly;
  }

  /** Runs parts 1 to 5 for every objective. */
  void run() {
    int b = f.tiny.batch();
    int l = f.tiny.length();
    boolean[] prompt = promptMask(b, l);
    int checkedBounds = 0;
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel model = DitModel.fromWeights(root, f.weights);
        DitModel teacher = DitModel.frozen(root, f.weights)) {
      SftNet net = new SftNet(root, model, teacher, objective, f.tokenizer.specials());
      for (String name : objective.objectives()) {
        int[] x0 = f.cleanTokens(21);
        double[] t = LossCheck.times(family, b);
        // 1. an empty mask is pre-training
        float plain = net.loss(net.batch(x0, b, l, t, 5, null), name, null).loss();
        float empty = net.loss(net.batch(x0, b, l, t, 5, new boolean[b * l]), name, null).loss();
        assertClose(plain, empty, name + ": an all-false mask vs no mask (pre-training)");
        // 2. prompt positions are never corrupted
        SftNet.Run run = net.loss(net.batch(x0, b, l, t, 5, prompt), name, null);
        assertTrue(Float.isFinite(run.loss()), name + ": SFT loss " + run.loss());
        assertCleanPrompt(run.fed(), x0, prompt, b, l, name + ", network input");
        if (!run.teacherFed().isEmpty()) {
          assertCleanPrompt(run.teacherFed(), x0, prompt, b, l, name + ", teacher input");
        }
        // 4. a prompt token's target never changes the loss
        for (int i = 0; i < x0.length; i++) {
          boolean first = prompt[i] && i % l == 0;
          boolean last = prompt[i] && (i % l == l - 1 || !prompt[i + 1]);
          if (!first && !last) {
            continue;
          }
          int[] other = x0.clone();
          other[i] = (x0[i] + 1) % (f.tokenizer.vocabSize() - 4);
          Rewrite back = new Rewrite(i / l, i % l, other[i], x0[i]);
          float changed = net.loss(net.batch(other, b, l, t, 5, prompt), name, back).loss();
          assertTrue(
              back.applied > 0,
              name
                  + ": the fed input never holds the prompt id at row "
                  + (i / l)
                  + ", position "
                  + (i % l)
                  + " (is the prompt corrupted?)");
          assertClose(
              run.loss(),
              changed,
              name
                  + ": changing the target of prompt token (row "
                  + i / l
                  + ", position "
                  + i % l
                  + ") changed the loss");
        }
        // 5. nothing to score
        boolean[] all = new boolean[b * l];
        Arrays.fill(all, true);
        float none = net.loss(net.batch(x0, b, l, t, 5, all), name, null).loss();
        assertEquals(0f, none, 0f, name + ": loss of a batch whose every position is given");
        // 3. the float64 conditional NELBO, row by row
        if (!trainingOnly.contains(name)) {
          checkedBounds += SftOracle.run(f, family, net, name, prompt, b, l);
        }
      }
    }
    assertTrue(
        checkedBounds > 0,
        "no objective of " + family.name() + " was compared with conditionalNelbo");
  }

  /** Row b gives its first 1 + (L/2 − 1 + b) mod (L − 1) positions (row 0: L/2). */
  static boolean[] promptMask(int batch, int length) {
    boolean[] g = new boolean[batch * length];
    for (int row = 0; row < batch; row++) {
      int p = 1 + Math.floorMod(length / 2 - 1 + row, length - 1);
      Arrays.fill(g, row * length, row * length + p, true);
    }
    return g;
  }

  private static void assertClose(float want, float got, String what) {
    assertTrue(Float.isFinite(want) && Float.isFinite(got), what + ": " + want + " vs " + got);
    assertEquals(want, got, INVARIANCE_TOLERANCE * Math.max(1, Math.abs(want)), what);
  }

  /** The recorded inputs, mapped to the original frame, equal x0 at every given position. */
  private static void assertCleanPrompt(
      List<Fed> fed, int[] x0, boolean[] given, int b, int l, String what) {
    int rows = 0;
    for (Fed call : fed) {
      rows += call.rows;
    }
    assertEquals(b, rows, what + ": rows fed to the network (one per batch row expected)");
    int row = 0;
    for (Fed call : fed) {
      for (int r = 0; r < call.rows; r++, row++) {
        for (int j = 0; j < l; j++) {
          int p = call.position(r, j);
          assertTrue(p >= 0 && p < l, what + ": rotary position " + p + " outside [0, L)");
          int i = row * l + p;
          if (!given[i]) {
            continue;
          }
          if (call.soft != null) {
            double mass = call.softMass(r, j, x0[i]);
            assertTrue(
                mass >= 1 - 1e-6,
                what
                    + ": the soft input puts "
                    + mass
                    + " on the prompt id at row "
                    + row
                    + ", position "
                    + p);
          } else {
            assertEquals(
                x0[i],
                call.ids[(r * call.length) + j],
                what + ": prompt token corrupted at row " + row + ", position " + p);
          }
        }
      }
    }
  }
}

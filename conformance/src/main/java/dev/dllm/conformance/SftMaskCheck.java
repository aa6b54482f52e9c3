package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
import java.util.ArrayList;
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
      Net net = new Net(root, model, teacher);
      for (String name : objective.objectives()) {
        int[] x0 = f.cleanTokens(21);
        double[] t = times(b);
        // 1. an empty mask is pre-training
        float plain = net.loss(batch(x0, b, l, t, 5, null), name, null).loss;
        float empty = net.loss(batch(x0, b, l, t, 5, new boolean[b * l]), name, null).loss;
        assertClose(plain, empty, name + ": an all-false mask vs no mask (pre-training)");
        // 2. prompt positions are never corrupted
        Run run = net.loss(batch(x0, b, l, t, 5, prompt), name, null);
        assertTrue(Float.isFinite(run.loss), name + ": SFT loss " + run.loss);
        assertCleanPrompt(run.fed, x0, prompt, b, l, name + ", network input");
        if (!run.teacherFed.isEmpty()) {
          assertCleanPrompt(run.teacherFed, x0, prompt, b, l, name + ", teacher input");
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
          float changed = net.loss(batch(other, b, l, t, 5, prompt), name, back).loss;
          assertTrue(
              back.applied > 0,
              name
                  + ": the fed input never holds the prompt id at row "
                  + (i / l)
                  + ", position "
                  + (i % l)
                  + " (is the prompt corrupted?)");
          assertClose(
              run.loss,
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
        float none = net.loss(batch(x0, b, l, t, 5, all), name, null).loss;
        assertEquals(0f, none, 0f, name + ": loss of a batch whose every position is given");
        // 3. the float64 conditional NELBO, row by row
        if (!trainingOnly.contains(name)) {
          checkedBounds += oracle(net, name, prompt, b, l);
        }
      }
    }
    assertTrue(
        checkedBounds > 0,
        "no objective of " + family.name() + " was compared with conditionalNelbo");
  }

  private int oracle(Net net, String name, boolean[] prompt, int b, int l) {
    SpecialTokens specials = f.tokenizer.specials();
    ReferenceDit reference = new ReferenceDit(f.weights);
    double[] t = times(b);
    int checked = 0;
    int positive = 0;
    for (long seed = 1; seed <= 3; seed++) {
      int[] x0 = f.cleanTokens(seed);
      for (int row = 0; row < b; row++) {
        int[] x = Arrays.copyOfRange(x0, row * l, (row + 1) * l);
        boolean[] g = Arrays.copyOfRange(prompt, row * l, (row + 1) * l);
        double[] tr = {t[row]};
        NllSum want =
            family.conditionalNelbo(
                reference, x.clone(), g.clone(), 1, l, tr.clone(), specials, rngs(seed));
        assertTrue(
            want.tokens() > 0 && want.nll() >= 0 && Double.isFinite(want.nll()),
            "conditional NELBO " + want);
        positive += want.nll() > 0 ? 1 : 0;
        double expected = want.nll() / want.tokens();
        float got = net.loss(batch(x, 1, l, tr, seed, g), name, null).loss;
        assertEquals(
            expected,
            got,
            FamilyConformanceTestCase.LOSS_TOLERANCE * Math.max(1, Math.abs(expected)),
            name
                + " seed "
                + seed
                + ", row "
                + row
                + " (prompt of "
                + prefix(g)
                + "): SFT loss vs conditionalNelbo "
                + want
                + " / tokens");
        checked++;
      }
    }
    assertTrue(
        positive > 0,
        name + ": every conditional NELBO of the oracle check is 0 (nothing masked); vacuous");
    return checked;
  }

  private static Rng[] rngs(long seed) {
    return new Rng[] {new Rng(seed)};
  }

  private static int prefix(boolean[] g) {
    int n = 0;
    while (n < g.length && g[n]) {
      n++;
    }
    return n;
  }

  private TrainingBatch batch(int[] x0, int b, int l, double[] t, long seed, boolean[] given) {
    return new TrainingBatch(
        x0.clone(),
        b,
        l,
        t.clone(),
        f.tokenizer.specials(),
        new Rng(seed),
        0,
        1,
        given == null ? null : given.clone());
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

  private double[] times(int batch) {
    double[] t = new double[batch];
    if (family.schedule() != null) {
      for (int i = 0; i < batch; i++) {
        t[i] = 0.2 + 0.7 * (i + 0.5) / batch;
      }
    }
    return t;
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

  /** What one forward call was fed. */
  private static final class Fed {
    final int rows;
    final int length;
    final long[] ids;
    final long[] positions;
    final float[] soft;
    final int vocab;

    Fed(int rows, int length, long[] ids, long[] positions, float[] soft, int vocab) {
      this.rows = rows;
      this.length = length;
      this.ids = ids;
      this.positions = positions;
      this.soft = soft;
      this.vocab = vocab;
    }

    int position(int r, int j) {
      return positions == null ? j : (int) positions[r * length + j];
    }

    /** softmax(weights)[id] at fed token (r, j), in float64. */
    double softMass(int r, int j, int id) {
      int off = (r * length + j) * vocab;
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        max = Math.max(max, soft[off + v]);
      }
      double z = 0;
      for (int v = 0; v < vocab; v++) {
        z += Math.exp(soft[off + v] - max);
      }
      return Math.exp(soft[off + id] - max) / z;
    }
  }

  /**
   * Writes {@code to} back where row {@code row}, position {@code position} is fed {@code from}.
   */
  private static final class Rewrite {
    final int row;
    final int position;
    final int from;
    final int to;
    int applied;

    Rewrite(int row, int position, int from, int to) {
      this.row = row;
      this.position = position;
      this.from = from;
      this.to = to;
    }
  }

  /** One loss and what the network (and teacher) were fed. */
  private record Run(float loss, List<Fed> fed, List<Fed> teacherFed) {}

  /** The kit's network: the tiny DiT with a frozen teacher on the same weights. */
  private final class Net {
    final NDManager root;
    final DitModel model;
    final DitModel teacher;

    Net(NDManager root, DitModel model, DitModel teacher) {
      this.root = root;
      this.model = model;
      this.teacher = teacher;
    }

    Run loss(TrainingBatch batch, String name, Rewrite rewrite) {
      List<Fed> fed = new ArrayList<>();
      List<Fed> teacherFed = new ArrayList<>();
      try (NDManager scope = root.newSubManager()) {
        Recording frozen =
            new Recording(new DjlBackbone(teacher, scope, null), teacherFed, rewrite, null);
        Recording net = new Recording(new DjlBackbone(model, scope, null), fed, rewrite, frozen);
        float loss = objective.loss(batch, net, name).getFloat();
        return new Run(loss, fed, teacherFed);
      }
    }
  }

  /**
   * A backbone that records what each forward is fed (rows in batch order across calls) and
   * optionally applies a {@link Rewrite} to it before the network runs.
   */
  private static final class Recording implements Backbone<NDArray> {
    private final Backbone<NDArray> inner;
    private final List<Fed> fed;
    private final Rewrite rewrite;
    private final Backbone<NDArray> teacher;
    private int rowsSoFar;

    Recording(Backbone<NDArray> inner, List<Fed> fed, Rewrite rewrite, Backbone<NDArray> teacher) {
      this.inner = inner;
      this.fed = fed;
      this.rewrite = rewrite;
      this.teacher = teacher;
    }

    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public NDArray ids(int[] ids, int batch, int length) {
      return inner.ids(ids, batch, length);
    }

    @Override
    public NDArray floats(float[] values, long... shape) {
      return inner.floats(values, shape);
    }

    @Override
    public NDArray constant(double value) {
      return inner.constant(value);
    }

    @Override
    public NDArray forward(NDArray ids, NDArray sigma) {
      return inner.forward(record(ids, null), sigma);
    }

    @Override
    public NDArray forward(NDArray ids, NDArray sigma, NDArray positions, NDArray attnBias) {
      return inner.forward(record(ids, positions), sigma, positions, attnBias);
    }

    @Override
    public NDArray forwardSoft(NDArray weights, NDArray sigma) {
      Shape s = weights.getShape();
      int rows = (int) s.get(0);
      int length = (int) s.get(1);
      int vocab = (int) s.get(2);
      float[] w = weights.toFloatArray();
      NDArray in = weights;
      if (rewrite != null) {
        for (int r = 0; r < rows; r++) {
          if (rowsSoFar + r != rewrite.row) {
            continue;
          }
          int off = (r * length + rewrite.position) * vocab;
          float a = w[off + rewrite.from];
          w[off + rewrite.from] = w[off + rewrite.to];
          w[off + rewrite.to] = a;
          rewrite.applied++;
          in = weights.getManager().create(w, s);
        }
      }
      fed.add(new Fed(rows, length, null, null, w, vocab));
      rowsSoFar += rows;
      return inner.forwardSoft(in, sigma);
    }

    private NDArray record(NDArray ids, NDArray positions) {
      Shape s = ids.getShape();
      int rows = (int) s.get(0);
      int length = (int) s.get(1);
      long[] values = ids.toLongArray();
      long[] pos = positions == null ? null : positions.toLongArray();
      NDArray in = ids;
      if (rewrite != null) {
        boolean changed = false;
        for (int r = 0; r < rows; r++) {
          if (rowsSoFar + r != rewrite.row) {
            continue;
          }
          for (int j = 0; j < length; j++) {
            int p = pos == null ? j : (int) pos[r * length + j];
            if (p == rewrite.position && values[r * length + j] == rewrite.from) {
              values[r * length + j] = rewrite.to;
              changed = true;
            }
          }
        }
        if (changed) {
          rewrite.applied++;
          in = ids.getManager().create(values, s);
        }
      }
      fed.add(new Fed(rows, length, values, pos, null, 0));
      rowsSoFar += rows;
      return in;
    }

    @Override
    public Backbone<NDArray> teacher() {
      return teacher != null ? teacher : Backbone.super.teacher();
    }
  }
}

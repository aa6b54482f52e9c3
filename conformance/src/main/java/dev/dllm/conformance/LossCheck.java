package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
import java.util.Set;

/**
 * Check 2 of {@link FamilyConformanceTestCase#trainingLossEqualsFloat64Nelbo}: for every objective
 * that is a bound, the DJL training loss equals the family's float64 {@link DiffusionFamily#nelbo}
 * over the independent float64 {@link ReferenceDit}, divided by the kit's loss normaliser.
 */
final class LossCheck {
  /** The hook {@link FamilyConformanceTestCase#lossNormaliser}. */
  interface Normaliser {
    double of(String objective, NllSum nelbo, int batch, int length);
  }

  private LossCheck() {}

  static void run(
      Fixture f,
      DiffusionFamily family,
      String familyName,
      Set<String> trainingOnly,
      Normaliser normaliser) {
    TinyModel tiny = f.tiny;
    int b = tiny.batch();
    int l = tiny.length();
    SpecialTokens specials = f.tokenizer.specials();
    TrainingObjective<NDArray> objective = Objectives.forFamily(familyName);
    ReferenceDit reference = new ReferenceDit(f.weights);
    int checked = 0;
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel model = DitModel.fromWeights(root, f.weights)) {
      for (String name : objective.objectives()) {
        if (trainingOnly.contains(name)) {
          continue;
        }
        for (long seed = 1; seed <= 2; seed++) {
          int[] x0 = f.cleanTokens(seed);
          double[] t = times(family, b);
          NllSum nelbo = family.nelbo(reference, x0, b, l, t.clone(), specials, new Rng(seed));
          assertTrue(nelbo.tokens() > 0 && nelbo.nll() > 0, "nelbo is not positive: " + nelbo);
          double expected = nelbo.nll() / normaliser.of(name, nelbo, b, l);
          double loss;
          try (NDManager scope = root.newSubManager()) {
            TrainingBatch batch =
                new TrainingBatch(x0.clone(), b, l, t.clone(), specials, new Rng(seed), 0, 1);
            loss = objective.loss(batch, new DjlBackbone(model, scope, null), name).getFloat();
          }
          assertEquals(
              expected,
              loss,
              FamilyConformanceTestCase.LOSS_TOLERANCE * Math.max(1, Math.abs(expected)),
              "objective '" + name + "' seed " + seed + ": DJL loss vs nelbo " + nelbo);
          checked++;
        }
      }
      assertTrue(
          checked > 0,
          "every objective of "
              + familyName
              + " is listed as training-only; at least one must be a bound");
      try (NDManager scope = root.newSubManager()) {
        TrainingBatch batch =
            new TrainingBatch(f.cleanTokens(3), b, l, times(family, b), specials, new Rng(3), 0, 1);
        assertThrows(
            InvalidInputException.class,
            () -> objective.loss(batch, new DjlBackbone(model, scope, null), "no-such-objective"),
            "an unknown objective name must be refused");
      }
    }
  }

  /** Diffusion times per row: spread over (0.2, 0.9) with a schedule, zeros without (as AR). */
  static double[] times(DiffusionFamily family, int batch) {
    double[] t = new double[batch];
    if (family.schedule() != null) {
      for (int i = 0; i < batch; i++) {
        t[i] = 0.2 + 0.7 * (i + 0.5) / batch;
      }
    }
    return t;
  }
}

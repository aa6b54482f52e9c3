package dev.dllm.eval.scaling;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs whose laws are known in closed form: at budget C the loss of size N is L*(C) + h (ln N − ln
 * N*(C))² with L*(C) = E + A·C^−b and N*(C) = k·C^a, so each IsoFLOP parabola has its vertex at
 * (N*, L*) exactly (the loss is computed at the rounded N_eff).
 */
final class SyntheticStudy {
  static final double[] BUDGETS = {1e11, 3e11, 1e12, 3e12};
  static final double[] FACTORS = {0.25, 0.5, 1, 2, 4};
  static final double H = 0.05;

  /** One series' true laws. */
  record Law(String family, String objective, double e, double bigA, double b, double k, double a) {
    double lStar(double c) {
      return e + bigA * Math.pow(c, -b);
    }

    double nStar(double c) {
      return k * Math.pow(c, a);
    }

    /** The budget at which L* reaches {@code loss}: (A / (loss − E))^(1/b). */
    double flopsFor(double loss) {
      return Math.pow(bigA / (loss - e), 1 / b);
    }

    double loss(double c, long n) {
      double d = Math.log(n) - Math.log(nStar(c));
      return lStar(c) + H * d * d;
    }
  }

  private SyntheticStudy() {}

  /** Five sizes around N* at every budget, one run each with {@code seed}. */
  static List<RunRecord> runs(Law law, long seed) {
    List<RunRecord> out = new ArrayList<>();
    for (double c : BUDGETS) {
      for (double f : FACTORS) {
        long n = Math.round(law.nStar(c) * f);
        out.add(
            new RunRecord(
                law.family(),
                law.objective(),
                "p" + f,
                c,
                n,
                law.loss(c, n),
                Path.of(law.family() + "-" + law.objective(), "p" + f, "C" + c),
                seed));
      }
    }
    return out;
  }
}

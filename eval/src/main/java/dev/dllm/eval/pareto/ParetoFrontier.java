package dev.dllm.eval.pareto;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The speed–quality Pareto frontier (paper Figure 1): the points no other point dominates (higher
 * tokens/s and lower gen PPL are better), and the entropy-collapse flag: a point whose mean sample
 * entropy is below the reference text's own unigram entropy minus {@link #COLLAPSE_MARGIN} nats is
 * flagged, since low gen PPL from repetitive text is not quality. Non-finite points (NaN PPL) are
 * never on the frontier.
 */
public final class ParetoFrontier {
  /** Entropy margin of the collapse flag, in nats. */
  public static final double COLLAPSE_MARGIN = 0.5;

  private ParetoFrontier() {}

  /**
   * The non-dominated subset of {@code points}, sorted by tokens/s ascending. Exact duplicates are
   * all kept.
   */
  public static List<ParetoPoint> frontier(List<ParetoPoint> points) {
    List<ParetoPoint> out = new ArrayList<>();
    for (ParetoPoint p : points) {
      if (!finite(p)) {
        continue;
      }
      boolean dominated = false;
      for (ParetoPoint q : points) {
        if (q != p && finite(q) && q.dominates(p)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        out.add(p);
      }
    }
    out.sort(Comparator.comparingDouble(ParetoPoint::tokensPerSecond));
    return out;
  }

  /**
   * {@code points} with both flags set: {@code frontier} by {@link #frontier}, {@code collapsed}
   * when entropy &lt; referenceEntropy − {@link #COLLAPSE_MARGIN} (never when the reference is
   * NaN).
   */
  public static List<ParetoPoint> flag(List<ParetoPoint> points, double referenceEntropy) {
    List<ParetoPoint> front = frontier(points);
    List<ParetoPoint> out = new ArrayList<>();
    for (ParetoPoint p : points) {
      boolean onFront = front.stream().anyMatch(f -> f == p);
      out.add(p.withFlags(collapsed(p.entropy(), referenceEntropy), onFront));
    }
    return out;
  }

  /** {@code points} with {@code frontier} set by {@link #frontier}; {@code collapsed} is kept. */
  public static List<ParetoPoint> markFrontier(List<ParetoPoint> points) {
    List<ParetoPoint> front = frontier(points);
    List<ParetoPoint> out = new ArrayList<>();
    for (ParetoPoint p : points) {
      out.add(p.withFlags(p.collapsed(), front.stream().anyMatch(f -> f == p)));
    }
    return out;
  }

  /** Whether {@code entropy} is below {@code reference − COLLAPSE_MARGIN}. */
  public static boolean collapsed(double entropy, double reference) {
    return !Double.isNaN(reference) && entropy < reference - COLLAPSE_MARGIN;
  }

  private static boolean finite(ParetoPoint p) {
    return Double.isFinite(p.genPpl()) && Double.isFinite(p.tokensPerSecond());
  }
}

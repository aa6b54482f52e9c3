package dev.dllm.eval.metrics;

import dev.dllm.api.tokenize.SpecialTokens;
import java.util.Arrays;

/**
 * The ids of a generated sample that sample metrics look at: every id except PAD and MASK (spec
 * §6.2 {@code _eval_retokenize} drops them before scoring). One definition for gen PPL ({@link
 * Retokenizer}) and sample entropy ({@link EntropyStats}), so both metrics see the same tokens.
 */
public final class ScoredIds {
  /** The definition as written into {@code eval-report.json} and {@code pareto.json}. */
  public static final String DEFINITION = "sample ids minus PAD and MASK (the ids gen PPL scores)";

  private ScoredIds() {}

  /**
   * {@code ids} without the PAD and MASK ids of {@code specials} (an absent special, id −1, drops
   * nothing), in order.
   *
   * @param ids one sample's ids {@code [L]}
   * @return a new array {@code [L']}, L' &lt;= L
   */
  public static int[] of(int[] ids, SpecialTokens specials) {
    int pad = specials.pad();
    int mask = specials.mask();
    return Arrays.stream(ids).filter(id -> id != pad && id != mask).toArray();
  }
}

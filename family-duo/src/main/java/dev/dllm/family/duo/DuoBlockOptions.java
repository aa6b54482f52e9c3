package dev.dllm.family.duo;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.SamplerSpec;
import java.util.Locale;
import java.util.Set;

/**
 * The options of Duo's {@code predictor=block_ancestral} ({@link DuoBlockChain}).
 *
 * <ul>
 *   <li>{@code block_length} S &gt;= 1 (default {@value ConfidenceDecoding#DEFAULT_BLOCK_LENGTH});
 *   <li>{@code threshold} τ in (0, 1] (default {@value ConfidenceDecoding#DEFAULT_THRESHOLD}): an
 *       open position whose x_θ confidence max_v x_θ(v) is ≥ τ is committed (clamped) to its argmax
 *       before the block's last step;
 *   <li>{@code top1} ({@code false}, default, or {@code true}): also commit the most confident open
 *       position of every step (Fast-dLLM's rule; the ablation of the commit rule);
 *   <li>{@code suffix} ({@code hidden}, default, or {@code prior}): the free positions after the
 *       current block are hidden from attention, or shown at their prior draw (t = 1);
 *   <li>{@code sigma} ({@code row}, default, or {@code schedule}): the time conditioning, −log of
 *       the mean alpha of the positions the network sees, or sigma(t) of the block's grid;
 *   <li>{@code cache} ({@code none}, default, or {@code prefix}): the block KV cache: the block's
 *       later steps run only the block against the K/V kept at its first step;
 *   <li>{@code top_p} (every Duo predictor, {@link #topP}): the nucleus mass of the proposals and
 *       the redraws of this sampler only;
 *   <li>{@code temperature} τ_s &gt; 0 (default 1; needs {@code proposal=sample}): proposals are
 *       drawn from softmax(z / τ_s) ({@link BlockProposal}); the redraws stay at temperature 1.
 * </ul>
 *
 * @param blockLength S
 * @param threshold τ
 * @param argmax whether a committed position takes its argmax ({@code proposal=argmax}, default) or
 *     a draw from x_θ ({@code proposal=sample})
 * @param top1 whether the top-1 of each step is committed too
 * @param hideSuffix whether the free positions after the block are hidden
 * @param scheduleSigma whether sigma(t) of the block's grid is fed instead of the row's
 * @param cache whether the block KV cache is used
 * @param temperature τ_s of the proposal draws
 */
record DuoBlockOptions(
    int blockLength,
    double threshold,
    boolean argmax,
    boolean top1,
    boolean hideSuffix,
    boolean scheduleSigma,
    boolean cache,
    double temperature) {

  /** The option keys of {@code predictor=block_ancestral} (besides {@code predictor}). */
  static final Set<String> KEYS =
      Set.of(
          "block_length",
          "threshold",
          "proposal",
          "top1",
          "suffix",
          "sigma",
          "cache",
          "top_p",
          "temperature");

  /** The error of a sampler that needs the block KV graph of a model without one. */
  static final String NO_GRAPH =
      "sampler option predictor=block_ancestral with suffix=hidden or cache=prefix needs a block KV"
          + " graph, which this model does not have; re-export it with dllm export (decode.onnx)"
          + " or use suffix=prior cache=none";

  /** The option keys only {@code predictor=block_ancestral} reads. */
  static final Set<String> OWN = Set.of("top1", "suffix", "sigma");

  /**
   * Reads the options of {@code spec}.
   *
   * @throws InvalidInputException for a value out of range, naming the option, or an option of
   *     another predictor ({@code noise_removal}, {@code greedy_tail}, {@code prompt_sigma}, {@code
   *     proposal}: this predictor commits by argmax and sets its own sigma)
   */
  static DuoBlockOptions parse(SamplerSpec spec) {
    for (String k : new String[] {"noise_removal", "greedy_tail", "prompt_sigma"}) {
      if (spec.options().containsKey(k)) {
        throw new InvalidInputException(
            "sampler option "
                + k
                + " does not apply to predictor=block_ancestral (it ends each block by committing"
                + " every open position and sets its own sigma; see option sigma)");
      }
    }
    ConfidenceDecoding rule = ConfidenceDecoding.parse(spec); // threshold, block_length checked
    boolean argmax = !spec.option("proposal", "argmax").trim().equalsIgnoreCase("sample");
    boolean top1 = choice(spec, "top1", "true", "true", "false");
    boolean hidden = choice(spec, "suffix", "hidden", "hidden", "prior");
    boolean schedule = choice(spec, "sigma", "row", "schedule", "row");
    boolean cache = choice(spec, "cache", "none", "prefix", "none");
    double temperature = temperature(spec);
    if (argmax && temperature != 1) {
      throw new InvalidInputException(
          "sampler option temperature of predictor=block_ancestral needs proposal=sample"
              + " (argmax proposals have no temperature)");
    }
    return new DuoBlockOptions(
        rule.blockLength(), rule.threshold(), argmax, top1, hidden, schedule, cache, temperature);
  }

  /**
   * The {@code temperature} option τ_s (default 1): of the proposal draws of {@code
   * predictor=block_ancestral}, of x_θ in every posterior draw of {@code predictor=ancestral} (x_θ
   * = softmax(z / τ_s), then top-p; {@link PosteriorDraw}); refused by {@code confidence}.
   *
   * @throws InvalidInputException unless a finite number &gt; 0
   */
  static double temperature(SamplerSpec spec) {
    double temperature = number(spec, "temperature", 1);
    if (!(temperature > 0 && temperature < Double.POSITIVE_INFINITY)) {
      throw new InvalidInputException(
          "sampler option temperature must be a number > 0, got " + spec.option("temperature", ""));
    }
    return temperature;
  }

  /**
   * The nucleus mass of a Duo sampler (every predictor): the {@code top_p} option when given (so
   * one {@code pareto} run can hold several), else {@link SamplerSpec#topP()} (the CLI's {@code
   * --top-p}).
   *
   * @throws InvalidInputException when {@code top_p} is not a number in (0, 1] or differs from a
   *     spec top-p &lt; 1
   */
  static double topP(SamplerSpec spec) {
    if (!spec.options().containsKey("top_p")) {
      return spec.topP();
    }
    double topP = number(spec, "top_p", 1);
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("sampler option top_p must be in (0, 1], got " + topP);
    }
    if (spec.topP() < 1 && spec.topP() != topP) {
      throw new InvalidInputException(
          "sampler option top_p="
              + topP
              + " contradicts the sampler's top-p "
              + spec.topP()
              + " (--top-p); give one of them");
    }
    return topP;
  }

  /** The number option {@code key}, {@code def} when unset. */
  static double number(SamplerSpec spec, String key, double def) {
    if (!spec.options().containsKey(key)) {
      return def;
    }
    String v = spec.options().get(key).trim();
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new InvalidInputException("sampler option " + key + " must be a number, got " + v);
    }
  }

  /**
   * Whether option {@code key} (default {@code def}) is {@code yes}; refuses anything but yes/no.
   */
  private static boolean choice(SamplerSpec spec, String key, String def, String yes, String no) {
    String v = spec.option(key, def).trim().toLowerCase(Locale.ROOT);
    if (!v.equals(yes) && !v.equals(no)) {
      throw new InvalidInputException(
          "sampler option "
              + key
              + " of predictor=block_ancestral must be "
              + yes
              + " or "
              + no
              + ", got "
              + v);
    }
    return v.equals(yes);
  }
}

package dev.dllm.family.duo;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.family.duo.DuoSampler.NoiseRemoval;
import dev.dllm.family.duo.DuoSampler.PromptSigma;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Duo sampler options of a {@link SamplerSpec} (spec §3.3): {@code noise_removal} (ancestral,
 * greedy or none; [SD] {@code noise_removal}), its alias {@code greedy_tail=true} (= greedy), and
 * {@code prompt_sigma} ({@link PromptSigma}), {@code predictor} ({@code ancestral}, the default, or
 * {@code confidence}: {@link DuoConfidence}, or {@code block_ancestral}: {@link DuoBlockChain},
 * options {@link DuoBlockOptions}) with, for {@code confidence} only, {@code threshold}, {@code
 * block_length}, {@code proposal} ({@link ConfidenceDecoding}) and {@code cache} ({@link
 * BlockCache}: none, prefix or dual), {@code top_p} for every predictor ({@link
 * DuoBlockOptions#topP}), plus T = {@link SamplerSpec#steps()} &gt;= 1.
 *
 * @param noiseRemoval the final step
 * @param promptSigma the time conditioning of rows with given positions
 * @param confidence the rule of {@code predictor=confidence}, else null
 * @param cache the block KV cache of {@code predictor=confidence} ({@link BlockCache#NONE} else)
 * @param block the options of {@code predictor=block_ancestral} ({@link DuoBlockChain}), else null
 */
record DuoSamplerOptions(
    NoiseRemoval noiseRemoval,
    PromptSigma promptSigma,
    ConfidenceDecoding confidence,
    BlockCache cache,
    DuoBlockOptions block) {

  private static final Set<String> OPTIONS =
      Set.of(
          "noise_removal",
          "greedy_tail",
          "prompt_sigma",
          "predictor",
          "threshold",
          "block_length",
          "proposal",
          "top1",
          "suffix",
          "sigma",
          "top_p",
          "temperature",
          BlockCache.KEY);

  /**
   * Parses and checks the options of {@code spec}.
   *
   * @throws InvalidInputException for an unknown option, T &lt; 1, a bad value, {@code
   *     greedy_tail=true} with a {@code noise_removal} other than greedy, a confidence option
   *     without {@code predictor=confidence}, or {@code noise_removal}, {@code greedy_tail} or
   *     {@code prompt_sigma} with it (it commits every position and sets its own sigma)
   */
  private static final PromptSigma DEFAULT_SIGMA = DuoSampler.DEFAULT_PROMPT_SIGMA;

  static DuoSamplerOptions parse(SamplerSpec spec) {
    for (String key : spec.options().keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new InvalidInputException(
            "sampler option '"
                + key
                + "' is not supported by family duo; known options: "
                + String.join(", ", new TreeSet<>(OPTIONS)));
      }
    }
    if (spec.steps() < 1) {
      throw new InvalidInputException("duo sampling needs steps T >= 1, got " + spec.steps());
    }
    DuoBlockOptions.topP(spec); // checked here, read by DuoSampler
    DuoBlockOptions.temperature(spec);
    String predictor = spec.option("predictor", "ancestral").trim();
    if (predictor.equals("block_ancestral")) {
      return new DuoSamplerOptions(
          NoiseRemoval.NONE, DEFAULT_SIGMA, null, BlockCache.NONE, DuoBlockOptions.parse(spec));
    }
    for (String k : DuoBlockOptions.OWN) {
      if (spec.options().containsKey(k)) {
        throw new InvalidInputException(
            "sampler option " + k + " needs predictor=block_ancestral, got predictor=" + predictor);
      }
    }
    if (predictor.equals("confidence")) {
      for (String k :
          new String[] {"noise_removal", "greedy_tail", "prompt_sigma", "temperature"}) {
        if (spec.options().containsKey(k)) {
          throw new InvalidInputException(
              "sampler option "
                  + k
                  + " does not apply to predictor=confidence (it commits every position itself and"
                  + " feeds the row's own noise level)");
        }
      }
      return new DuoSamplerOptions(
          NoiseRemoval.NONE,
          DEFAULT_SIGMA,
          ConfidenceDecoding.parse(spec),
          BlockCache.parse(spec),
          null);
    }
    if (!predictor.equals("ancestral")) {
      throw new InvalidInputException(
          "sampler option predictor must be ancestral, confidence or block_ancestral, got "
              + predictor);
    }
    if (ConfidenceDecoding.mentioned(spec) || spec.options().containsKey(BlockCache.KEY)) {
      throw new InvalidInputException(
          "sampler options threshold, block_length, proposal and cache need predictor=confidence");
    }
    String nr = spec.option("noise_removal", null);
    String tail = spec.option("greedy_tail", null);
    NoiseRemoval removal = NoiseRemoval.ANCESTRAL;
    if (nr != null) {
      try {
        removal = NoiseRemoval.valueOf(nr.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "sampler option noise_removal must be ancestral, greedy or none, got " + nr);
      }
    }
    if (tail != null) {
      if (!tail.equals("true") && !tail.equals("false")) {
        throw new InvalidInputException(
            "sampler option greedy_tail must be true or false, got " + tail);
      }
      if (tail.equals("true")) {
        if (nr != null && removal != NoiseRemoval.GREEDY) {
          throw new InvalidInputException(
              "sampler options greedy_tail=true and noise_removal=" + nr + " contradict");
        }
        removal = NoiseRemoval.GREEDY;
      }
    }
    String ps = spec.option("prompt_sigma", null);
    PromptSigma promptSigma = DuoSampler.DEFAULT_PROMPT_SIGMA;
    if (ps != null) {
      try {
        promptSigma = PromptSigma.valueOf(ps.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "sampler option prompt_sigma must be schedule or effective, got " + ps);
      }
    }
    return new DuoSamplerOptions(removal, promptSigma, null, BlockCache.NONE, null);
  }
}

package dev.dllm.family.duo;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.family.duo.DuoSampler.NoiseRemoval;
import dev.dllm.family.duo.DuoSampler.PromptSigma;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Duo sampler options of a {@link SamplerSpec} (spec §3.3): {@code noise_removal} (ancestral,
 * greedy or none; [SD] {@code noise_removal}), its alias {@code greedy_tail=true} (= greedy), and
 * {@code prompt_sigma} ({@link PromptSigma}), plus T = {@link SamplerSpec#steps()} &gt;= 1.
 *
 * @param noiseRemoval the final step
 * @param promptSigma the time conditioning of rows with given positions
 */
record DuoSamplerOptions(NoiseRemoval noiseRemoval, PromptSigma promptSigma) {

  private static final Set<String> OPTIONS = Set.of("noise_removal", "greedy_tail", "prompt_sigma");

  /**
   * Parses and checks the options of {@code spec}.
   *
   * @throws InvalidInputException for an unknown option, T &lt; 1, a bad value, or {@code
   *     greedy_tail=true} with a {@code noise_removal} other than greedy
   */
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
    return new DuoSamplerOptions(removal, promptSigma);
  }
}

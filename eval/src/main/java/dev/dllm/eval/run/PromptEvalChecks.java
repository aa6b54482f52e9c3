package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.likelihood.EvalData;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.likelihood.LikelihoodEval;
import dev.dllm.eval.run.PromptEvalRun.Options;
import dev.dllm.runtime.onnx.OnnxModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The checks of {@link PromptEvalRun} that run before the first sample: the options against every
 * model ({@link #check}), the held-out windows of each model ({@link #windows}) and one probe row
 * of conditional sampling and conditional likelihood per model ({@link #probe}).
 */
final class PromptEvalChecks {
  private PromptEvalChecks() {}

  /**
   * The N windows of P + C tokens of {@code o.data()} in {@code model}'s tokenizer.
   *
   * @throws InvalidInputException when the text has fewer than N windows (or none)
   */
  static EvalText windows(Options o, OnnxModel model) {
    EvalText text =
        EvalData.load(
            o.data(),
            model.tokenizer(),
            o.rowLength(),
            BlockMode.PACK,
            o.detokenizer(),
            o.windows());
    long full = text.rows().stream().filter(r -> r.length == o.rowLength()).count();
    if (full < o.windows()) {
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "--windows %d: the held-out text (%s) has only %d windows of %d tokens"
                  + " (--prompt-tokens %d + --new-tokens %d) in the tokenizer of %s; lower"
                  + " --windows or the lengths",
              o.windows(),
              o.data() == null ? "bundled Tiny Shakespeare, validation" : o.data(),
              full,
              o.rowLength(),
              o.promptTokens(),
              o.newTokens(),
              model.directory()));
    }
    return text;
  }

  /**
   * Refuses, before anything is sampled: a model listed twice (the same real path), P + C beyond a
   * model's L, N windows beyond {@link SampleBudget}, a step count the family's sampler rejects.
   *
   * @throws InvalidInputException naming the model and the option
   */
  static void check(Options o) {
    ModelDirs.requireDistinct(o.models(), "--model", "give each once");
    for (Path dir : o.models()) {
      try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
        int len = EvalRun.sampleLength(model);
        long need = ModelSampler.rowLength(model, o.rowLength());
        boolean bos = need > o.rowLength();
        if (need > len) {
          throw new InvalidInputException(
              String.format(
                  Locale.ROOT,
                  "--prompt-tokens %d + --new-tokens %d%s = %d exceeds the sequence length %d of"
                      + " %s; the prompt and its continuation must fit in one block",
                  o.promptTokens(),
                  o.newTokens(),
                  bos ? " + 1 (the BOS before the prompt of a wrap-trained model)" : "",
                  need,
                  len,
                  dir));
        }
        // three sets of rows (windows, conditional and unconditional samples) are held at once
        SampleBudget.check(3L * o.windows(), o.rowLength(), dir.toString());
        if (!PromptEvalMeasurement.causal(model)) {
          for (int t : o.steps()) {
            try {
              model.family().newSampler(new SamplerSpec(t, o.topP(), o.samplerOptions()));
            } catch (InvalidInputException e) {
              throw new InvalidInputException(
                  "--steps "
                      + t
                      + " ("
                      + model.family().name()
                      + ", "
                      + dir
                      + "): "
                      + e.getMessage());
            }
          }
        }
      }
    }
  }

  /**
   * One row of conditional sampling at the smallest T and one conditional NELBO, so that a family
   * that cannot condition is refused before any measurement.
   */
  static void probe(Options o, OnnxModel model, int[] window) {
    int t =
        PromptEvalMeasurement.causal(model)
            ? 1
            : o.steps().stream().mapToInt(Integer::intValue).min().orElse(1);
    ModelSampler.drawConditional(
        model,
        new SamplerSpec(t, o.topP(), PromptEvalMeasurement.samplerOptions(o, model)),
        List.of(Arrays.copyOf(window, o.promptTokens())),
        1,
        o.rowLength(),
        o.seed(),
        o.ort().threads());
    try {
      LikelihoodEval.evaluate(
          model.family(),
          model.denoiser(),
          model.metadata().specials(),
          List.of(window),
          List.of(PromptEvalMeasurement.promptMask(o)),
          1,
          o.seed());
    } catch (UnsupportedOperationException e) {
      throw new InvalidInputException(
          "family "
              + model.family().name()
              + " ("
              + model.directory()
              + ") has no conditional likelihood: "
              + e.getMessage());
    }
  }
}

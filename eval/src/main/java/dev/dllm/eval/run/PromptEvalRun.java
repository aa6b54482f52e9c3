package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.likelihood.LikelihoodEval;
import dev.dllm.eval.metrics.ConditionalGenPerplexity;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code dllm prompt-eval} as a Java API (issue 16, "Measure and report"): for every export, N
 * windows of P + C tokens of the held-out text (the validation split {@code dllm eval} uses, cut
 * into consecutive blocks of P + C tokens, {@link BlockMode#PACK}); the first P tokens of each are
 * the prompt, and per step count T the family's conditional sampler generates the next C ({@link
 * ModelSampler#drawConditional}). Per model and T it reports:
 *
 * <ul>
 *   <li>the gen PPL of the generated continuations under the AR scorer <em>given the prompt</em>
 *       ({@link ConditionalGenPerplexity}), their entropy, tokens/s (generated tokens only) and
 *       NFE;
 *   <li>the same family's unconditional samples of P + C tokens at the same T ({@link
 *       ModelSampler#draw}, the samples {@code dllm pareto} draws): their last C tokens scored
 *       given the same true prompt (the check that a prompt carries information: a conditional
 *       continuation must score better), and the whole rows scored given nothing but BOS (the
 *       unconditional gen PPL of {@code pareto}, up to its chunking);
 * </ul>
 *
 * and per model (independent of T) the gen PPL of the true continuations given the prompt (the
 * reference point) and the conditional NELBO of the true continuation given the prompt under the
 * model itself ({@link LikelihoodEval#evaluate(dev.dllm.api.DiffusionFamily, dev.dllm.api.Denoiser,
 * SpecialTokens, List, List, int, long)}: AR the exact NLL, diffusion the NELBO with the prompt
 * clean, t stratified over the windows as {@code dllm eval} draws it). AR has one setting per model
 * (C draws, with the KV cache when the export has one); {@code steps} apply to diffusion families.
 *
 * <p>Everything is checked before the first sample (a model listed twice or being the scorer, P + C
 * beyond a model's L (P + C + 1 for a model trained in {@code wrap} block mode, whose prompts get
 * the BOS it was trained with: {@link ModelSampler#drawConditional}), a text with fewer than N
 * windows, a step count a sampler rejects, a family that cannot continue a prompt); {@code
 * prompt-eval.json} is written atomically at the end.
 */
public final class PromptEvalRun {
  /** The report's file name. */
  public static final String FILE = "prompt-eval.json";

  private PromptEvalRun() {}

  /**
   * What to measure.
   *
   * @param models export directories (never the scorer)
   * @param data corpus or zero-shot file; null = the bundled Tiny Shakespeare validation split
   * @param detokenizer {@code auto|none|wikitext|ptb}
   * @param scorer the AR scorer's export
   * @param windows N, windows of the held-out text
   * @param promptTokens P, tokens given (in each model's tokenizer)
   * @param newTokens C, tokens generated after them
   * @param steps step counts T of the diffusion families
   * @param batch rows per sampler call and per forward pass
   * @param seed seed of samples and of the NELBO's times and corruptions
   * @param topP nucleus mass
   * @param ort ONNX Runtime settings
   * @param samplerOptions family sampler options of the diffusion samplers (conditional and
   *     unconditional), e.g. Duo's {@code prompt_sigma=effective}; empty for the defaults
   */
  public record Options(
      List<Path> models,
      Path data,
      String detokenizer,
      Path scorer,
      int windows,
      int promptTokens,
      int newTokens,
      List<Integer> steps,
      int batch,
      long seed,
      double topP,
      OrtConfig ort,
      Map<String, String> samplerOptions) {
    /** These options with another scorer export folder. */
    public Options withScorer(Path scorerDir) {
      return new Options(
          models,
          data,
          detokenizer,
          scorerDir,
          windows,
          promptTokens,
          newTokens,
          steps,
          batch,
          seed,
          topP,
          ort,
          samplerOptions);
    }

    /** P + C, the length of every window and of every generated row. */
    public int rowLength() {
      return promptTokens + newTokens;
    }
  }

  /** The report (as written to JSON) and a readable table. */
  public record Report(Map<String, Object> json, String table) {}

  /**
   * Refuses, before anything is sampled: a model listed twice (the same real path), P + C beyond a
   * model's L, N windows beyond {@link SampleBudget}, a step count the family's sampler rejects.
   *
   * @throws InvalidInputException naming the model and the option
   */
  public static void check(Options o) {
    PromptEvalChecks.check(o);
  }

  /**
   * Measures every model and writes {@code outDir/prompt-eval.json} (when outDir is not null).
   * Before the first sample: {@link #check}, the scorer is not a judged model (a WARNING on {@code
   * log} for one not stronger, {@link ScorerStrength}), every model has N windows, and each family
   * continues one prompt and scores one conditional NELBO (a family without conditioning is refused
   * here, exit 2, before hours of sampling).
   *
   * @throws InvalidInputException for bad input, before any sampling
   * @throws IOException when the report cannot be written
   */
  public static Report run(Options o, Path outDir, PrintStream log) throws IOException {
    check(o);
    Map<String, Object> json = new LinkedHashMap<>();
    List<Map<String, Object>> models = new ArrayList<>();
    List<String[]> table = new ArrayList<>();
    table.add(PromptEvalReporting.header());
    try (Scorer scorer = Scorer.open(o.scorer(), o.ort(), o.batch())) {
      Map<String, Object> strengths = new LinkedHashMap<>();
      boolean weaker = false;
      Map<Path, EvalText> texts = new LinkedHashMap<>();
      for (Path dir : o.models()) { // every check before the first sample
        scorer.checkNotJudged(dir);
        try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
          ScorerStrength strength = scorer.strengthAgainst(model);
          String warning = strength.warning(scorer.directory(), dir);
          if (warning != null && log != null) {
            log.println(warning);
          }
          weaker |= strength.scorerWeaker();
          strengths.put(dir.toString(), strength.toMap());
          EvalText text = PromptEvalChecks.windows(o, model);
          texts.put(dir, text);
          PromptEvalChecks.probe(o, model, text.rows().get(0));
        }
      }
      for (Path dir : o.models()) {
        try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
          models.add(PromptEvalMeasurement.measure(o, model, texts.get(dir), scorer, table, log));
        }
      }
      json.put("settings", PromptEvalReporting.settings(o, scorer, weaker, strengths));
      json.put("models", models);
    }
    String printed = PromptEvalReporting.columns(table);
    if (outDir != null) {
      EvalFiles.writeJson(outDir.resolve(FILE), json);
    }
    return new Report(json, printed);
  }
}

package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.likelihood.EvalData;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.likelihood.LikelihoodEval;
import dev.dllm.eval.metrics.ConditionalGenPerplexity;
import dev.dllm.eval.metrics.EntropyStats;
import dev.dllm.eval.metrics.ScoredIds;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
  public static void check(Options o) {
    Map<Path, Path> seen = new LinkedHashMap<>();
    for (Path dir : o.models()) {
      Path real;
      try {
        real = dir.toRealPath();
      } catch (IOException e) {
        throw new InvalidInputException("--model: cannot read " + dir + ": " + e.getMessage());
      }
      Path earlier = seen.putIfAbsent(real, dir);
      if (earlier != null) {
        throw new InvalidInputException(
            "--model lists " + real + " twice (" + earlier + " and " + dir + "); give each once");
      }
    }
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
        if (!causal(model)) {
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
    table.add(
        new String[] {
          "model",
          "T",
          "PPL cond|prompt",
          "PPL uncond|prompt",
          "PPL uncond",
          "PPL true|prompt",
          "H cond",
          "H uncond",
          "H true",
          "tok/s cond",
          "tok/s uncond",
          "NFE cond",
          "NELBO true|prompt"
        });
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
          EvalText text = windows(o, model);
          texts.put(dir, text);
          probe(o, model, text.rows().get(0));
        }
      }
      for (Path dir : o.models()) {
        try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
          models.add(measure(o, model, texts.get(dir), scorer, table, log));
        }
      }
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("windows", o.windows());
      settings.put("prompt_tokens", o.promptTokens());
      settings.put("new_tokens", o.newTokens());
      settings.put("steps", o.steps());
      settings.put("batch", o.batch());
      settings.put("threads", o.ort().threads());
      settings.put("provider", o.ort().provider());
      settings.put("seed", o.seed());
      settings.put("top_p", o.topP());
      settings.put("sampler_options", o.samplerOptions());
      settings.put(
          "data",
          o.data() == null ? "bundled Tiny Shakespeare (validation split)" : o.data().toString());
      settings.put(
          "windows_rule",
          "the first N consecutive blocks of P + C tokens of the held-out text (pack mode), in"
              + " each model's tokenizer; prompt = the first P, true continuation = the next C");
      settings.put(
          "prompt_bos",
          "the model's sampler gets BOS + prompt when the export was trained in wrap block mode"
              + " (block_mode of its training provenance) and its tokenizer has a BOS id, else"
              + " the prompt at position 0, as dllm sample does");
      settings.put(
          "gen_ppl",
          "the scorer's conditionalNelbo of [BOS] + prompt + continuation with BOS and prompt"
              + " given (exact AR NLL of the continuation tokens only), exp(sum NLL / sum scored"
              + " tokens) over all rows and windows, float64; rows longer than the scorer's"
              + " context: strided sliding window (stride context/2)");
      settings.put(
          "unconditional",
          "the family's unconditional samples of P + C tokens at the same T and seed:"
              + " gen_ppl_given_prompt scores their last C tokens given the true prompt (the"
              + " same scoring as the conditional continuation); gen_ppl_given_nothing scores the"
              + " whole row given BOS only (the unconditional gen PPL of dllm pareto)");
      settings.put("entropy", "mean per-row unigram entropy (nats) of the C continuation ids");
      settings.put("entropy_ids", ScoredIds.DEFINITION);
      settings.put(
          "tokens_per_second",
          "generated tokens (C per row for the conditional sampler, P + C for the unconditional"
              + " one) per second of sampler wall clock, after one untimed warm-up row");
      settings.put("scorer", scorer.describe());
      settings.put("scorer_weaker_than_model", weaker);
      settings.put("scorer_check_per_model", strengths);
      json.put("settings", settings);
      json.put("models", models);
    }
    String printed = columns(table);
    if (outDir != null) {
      EvalFiles.writeJson(outDir.resolve(FILE), json);
    }
    return new Report(json, printed);
  }

  /** The sampler options of {@code model}: none for a causal (AR) export, else the given ones. */
  private static Map<String, String> samplerOptions(Options o, OnnxModel model) {
    return causal(model) ? Map.of() : o.samplerOptions();
  }

  /**
   * One row of conditional sampling at the smallest T and one conditional NELBO, so that a family
   * that cannot condition is refused before any measurement.
   */
  private static void probe(Options o, OnnxModel model, int[] window) {
    int t = causal(model) ? 1 : o.steps().stream().mapToInt(Integer::intValue).min().orElse(1);
    ModelSampler.drawConditional(
        model,
        new SamplerSpec(t, o.topP(), samplerOptions(o, model)),
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
          List.of(promptMask(o)),
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

  private static Map<String, Object> measure(
      Options o,
      OnnxModel model,
      EvalText text,
      Scorer scorer,
      List<String[]> table,
      PrintStream log) {
    Tokenizer tok = model.tokenizer();
    SpecialTokens specials = model.metadata().specials();
    int p = o.promptTokens();
    int len = o.rowLength();
    List<int[]> rows = new ArrayList<>();
    for (int[] r : text.rows()) {
      if (r.length == len && rows.size() < o.windows()) {
        rows.add(r);
      }
    }
    List<int[]> prompts = new ArrayList<>(rows.size());
    List<int[]> truths = new ArrayList<>(rows.size());
    List<boolean[]> masks = new ArrayList<>(rows.size());
    List<int[]> nothing = new ArrayList<>(rows.size());
    for (int[] r : rows) {
      prompts.add(Arrays.copyOf(r, p));
      truths.add(Arrays.copyOfRange(r, p, len));
      masks.add(promptMask(o));
      nothing.add(new int[0]);
    }
    String fam = model.family().name();
    boolean causal = causal(model);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dir", model.directory().toString());
    m.put("family", fam);
    m.put("n_eff", model.metadata().model().nEff());
    m.put("seq_len", model.metadata().seqLen());
    m.put("tokenizer", model.metadata().tokenizerSpec());
    m.put("training", model.metadata().training());
    m.put("bos_before_prompt", ModelSampler.rowLength(model, len) > len);
    m.put("data", text.choices());

    ConditionalGenPerplexity.Result trueScore = scorer.scoreGiven(prompts, truths, tok);
    double trueH = EntropyStats.mean(truths, specials);
    Map<String, Object> tr = new LinkedHashMap<>();
    tr.put("gen_ppl_given_prompt", genPpl(trueScore));
    tr.put("entropy_mean", trueH);
    m.put("true_continuation", tr);

    LikelihoodEval.Result nelbo =
        LikelihoodEval.evaluate(
            model.family(), model.denoiser(), specials, rows, masks, o.batch(), o.seed());
    Map<String, Object> nl = new LinkedHashMap<>();
    nl.put(
        "kind",
        causal
            ? "exact NLL of the continuation given the prompt"
            : "NELBO of the continuation with the prompt clean and not scored (upper bound)");
    nl.put("nats_per_token", nelbo.natsPerToken());
    nl.put("bits_per_token", nelbo.natsPerToken() / Math.log(2));
    nl.put("ppl", nelbo.perplexity());
    nl.put("tokens", nelbo.total().tokens());
    nl.put("rows", nelbo.rows());
    nl.put("seed", o.seed());
    nl.put(
        "noise",
        causal
            ? "none (exact)"
            : "t stratified over the windows, row i's corruption from the i-th split of the seed,"
                + " as dllm eval");
    m.put("conditional_nelbo_true_continuation", nl);

    List<Map<String, Object>> points = new ArrayList<>();
    List<Integer> steps = causal ? List.of(o.newTokens()) : o.steps();
    for (int t : steps) {
      SamplerSpec spec = new SamplerSpec(t, o.topP(), samplerOptions(o, model));
      ModelSampler.Samples cond =
          ModelSampler.drawConditional(
              model, spec, prompts, o.batch(), len, o.seed(), o.ort().threads());
      List<int[]> condCont = tails(cond.ids(), p);
      ConditionalGenPerplexity.Result condScore = scorer.scoreGiven(prompts, condCont, tok);
      double condH = EntropyStats.mean(condCont, specials);
      long promptsKept = 0;
      for (int i = 0; i < rows.size(); i++) {
        promptsKept += Arrays.equals(Arrays.copyOf(cond.ids().get(i), p), prompts.get(i)) ? 1 : 0;
      }

      ModelSampler.Samples uncond =
          ModelSampler.draw(
              model,
              new SamplerSpec(causal ? len - 1 : t, o.topP(), samplerOptions(o, model)),
              rows.size(),
              o.batch(),
              len,
              o.seed(),
              o.ort().threads());
      List<int[]> uncondCont = tails(uncond.ids(), p);
      ConditionalGenPerplexity.Result uncondPrompt = scorer.scoreGiven(prompts, uncondCont, tok);
      ConditionalGenPerplexity.Result uncondNothing = scorer.scoreGiven(nothing, uncond.ids(), tok);
      double uncondH = EntropyStats.mean(uncondCont, specials);
      boolean helps = condScore.perplexity() < uncondPrompt.perplexity();

      Map<String, Object> pt = new LinkedHashMap<>();
      pt.put("steps", cond.steps());
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("gen_ppl_given_prompt", genPpl(condScore));
      c.put("entropy_mean", condH);
      c.putAll(speed(cond.throughput()));
      c.put("prompts_returned_verbatim", promptsKept);
      pt.put("conditional", c);
      Map<String, Object> u = new LinkedHashMap<>();
      u.put("steps", uncond.steps());
      u.put("gen_ppl_given_prompt", genPpl(uncondPrompt));
      u.put("gen_ppl_given_nothing", genPpl(uncondNothing));
      u.put("entropy_mean", uncondH);
      u.putAll(speed(uncond.throughput()));
      pt.put("unconditional", u);
      pt.put("prompt_helps", helps);
      points.add(pt);

      table.add(
          new String[] {
            fam + " " + model.directory().getFileName(),
            Integer.toString(cond.steps()),
            num(condScore.perplexity()),
            num(uncondPrompt.perplexity()),
            num(uncondNothing.perplexity()),
            num(trueScore.perplexity()),
            num(condH),
            num(uncondH),
            num(trueH),
            num(cond.throughput().tokensPerSecond()),
            num(uncond.throughput().tokensPerSecond()),
            num(cond.throughput().nfePerSample()),
            num(nelbo.natsPerToken())
          });
      if (log != null) {
        log.printf(
            Locale.ROOT,
            "%-6s T=%-4d gen PPL given prompt %8.2f (unconditional %8.2f, true %8.2f)  entropy"
                + " %.3f  %9.1f tok/s%n",
            fam,
            cond.steps(),
            condScore.perplexity(),
            uncondPrompt.perplexity(),
            trueScore.perplexity(),
            condH,
            cond.throughput().tokensPerSecond());
        if (!helps) {
          log.printf(
              Locale.ROOT,
              "WARNING: %s at T=%d: the continuation given the prompt (gen PPL %.2f) does not"
                  + " score better than the unconditional sample (%.2f); the prompt carries no"
                  + " information into the sampler%n",
              model.directory(),
              cond.steps(),
              condScore.perplexity(),
              uncondPrompt.perplexity());
        }
        if (promptsKept != rows.size()) {
          log.printf(
              Locale.ROOT,
              "WARNING: %s at T=%d: %d of %d prompts came back changed%n",
              model.directory(),
              cond.steps(),
              rows.size() - promptsKept,
              rows.size());
        }
      }
    }
    m.put("points", points);
    return m;
  }

  private static boolean causal(OnnxModel model) {
    return model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
  }

  private static boolean[] promptMask(Options o) {
    boolean[] given = new boolean[o.rowLength()];
    Arrays.fill(given, 0, o.promptTokens(), true);
    return given;
  }

  private static List<int[]> tails(List<int[]> rows, int from) {
    List<int[]> out = new ArrayList<>(rows.size());
    for (int[] r : rows) {
      out.add(Arrays.copyOfRange(r, from, r.length));
    }
    return out;
  }

  private static Map<String, Object> speed(Throughput t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tokens_per_second", t.tokensPerSecond());
    m.put("generated_tokens_per_row", t.tokensPerSample());
    m.put("seconds", t.seconds());
    m.put("nfe_per_sample", t.nfePerSample());
    m.put("batch", t.batch());
    m.put("peak_rss_bytes", t.peakRssBytes() < 0 ? null : t.peakRssBytes());
    m.put("peak_heap_bytes", t.peakHeapBytes());
    return m;
  }

  /** The gen-PPL section of a point. */
  static Map<String, Object> genPpl(ConditionalGenPerplexity.Result g) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ppl", g.perplexity());
    m.put("nats_per_token", g.natsPerToken());
    m.put("rows", g.rows());
    m.put("scored_tokens", g.scoredTokens());
    m.put("windows", g.windows());
    m.put("context", g.context());
    m.put("context_tokens_cut", g.contextTokensCut());
    m.put("retokenized", g.retokenized());
    m.put("dropped_characters", g.droppedCharacters());
    return m;
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  /** Left-aligned columns, the first row a header. */
  static String columns(List<String[]> rows) {
    int n = rows.get(0).length;
    int[] w = new int[n];
    for (String[] r : rows) {
      for (int i = 0; i < n; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      for (int i = 0; i < n; i++) {
        sb.append(i == n - 1 ? r[i] : String.format(Locale.ROOT, "%-" + w[i] + "s  ", r[i]));
      }
      sb.append(System.lineSeparator());
    }
    return sb.toString();
  }
}

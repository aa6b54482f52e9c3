package dev.dllm.eval.run;

import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.likelihood.LikelihoodEval;
import dev.dllm.eval.metrics.ConditionalGenPerplexity;
import dev.dllm.eval.metrics.EntropyStats;
import dev.dllm.eval.metrics.GenPplUnit;
import dev.dllm.eval.run.PromptEvalRun.Options;
import dev.dllm.runtime.onnx.OnnxModel;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The measurement of one model by {@link PromptEvalRun}: the true continuations and their
 * conditional NELBO, then per step count T the conditional and unconditional samples, scored given
 * the prompt (and, for the unconditional ones, given nothing); its JSON section, one table row per
 * T and the progress lines and warnings on the log.
 */
final class PromptEvalMeasurement {
  private PromptEvalMeasurement() {}

  /**
   * Measures {@code model} on the N windows of {@code text}, adds one row per T to {@code table}
   * and prints progress and warnings on {@code log} (when not null).
   *
   * @return the model's section of the report
   */
  static Map<String, Object> measure(
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
    GenPplUnit unit = GenPplUnit.of(scorer.tokenizer(), tok);
    m.put("gen_ppl_unit", unit.toMap());
    if (log != null) {
      log.println(fam + " " + model.directory() + ": gen PPL " + unit.label());
    }

    ConditionalGenPerplexity.Result trueScore = scorer.scoreGiven(prompts, truths, tok);
    double trueH = EntropyStats.mean(truths, specials);
    Map<String, Object> tr = new LinkedHashMap<>();
    tr.put("gen_ppl_given_prompt", PromptEvalReporting.genPpl(trueScore));
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
      c.put("gen_ppl_given_prompt", PromptEvalReporting.genPpl(condScore));
      c.put("entropy_mean", condH);
      c.putAll(PromptEvalReporting.speed(cond.throughput()));
      c.put("prompts_returned_verbatim", promptsKept);
      pt.put("conditional", c);
      Map<String, Object> u = new LinkedHashMap<>();
      u.put("steps", uncond.steps());
      u.put("gen_ppl_given_prompt", PromptEvalReporting.genPpl(uncondPrompt));
      u.put("gen_ppl_given_nothing", PromptEvalReporting.genPpl(uncondNothing));
      u.put("entropy_mean", uncondH);
      u.putAll(PromptEvalReporting.speed(uncond.throughput()));
      pt.put("unconditional", u);
      pt.put("prompt_helps", helps);
      points.add(pt);

      table.add(
          new String[] {
            fam + " " + model.directory().getFileName(),
            Integer.toString(cond.steps()),
            PromptEvalReporting.num(condScore.perplexity()),
            PromptEvalReporting.num(uncondPrompt.perplexity()),
            PromptEvalReporting.num(uncondNothing.perplexity()),
            PromptEvalReporting.num(trueScore.perplexity()),
            PromptEvalReporting.num(condH),
            PromptEvalReporting.num(uncondH),
            PromptEvalReporting.num(trueH),
            PromptEvalReporting.num(cond.throughput().tokensPerSecond()),
            PromptEvalReporting.num(uncond.throughput().tokensPerSecond()),
            PromptEvalReporting.num(cond.throughput().nfePerSample()),
            PromptEvalReporting.num(nelbo.natsPerToken())
          });
      if (log != null) {
        log.printf(
            Locale.ROOT,
            "%-6s T=%-4d gen PPL given prompt %8.2f (unconditional %8.2f, true %8.2f)%s  entropy"
                + " %.3f  %9.1f tok/s%n",
            fam,
            cond.steps(),
            condScore.perplexity(),
            uncondPrompt.perplexity(),
            trueScore.perplexity(),
            unit.sameTokenizer()
                ? ""
                : " ("
                    + GenPplUnit.dropped(
                        condScore.droppedCharacters()
                            + uncondPrompt.droppedCharacters()
                            + trueScore.droppedCharacters())
                    + ")",
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

  /** The sampler options of {@code model}: none for a causal (AR) export, else the given ones. */
  static Map<String, String> samplerOptions(Options o, OnnxModel model) {
    return causal(model) ? Map.of() : o.samplerOptions();
  }

  /** Whether {@code model} is an AR export (causal backbone): one setting, C draws. */
  static boolean causal(OnnxModel model) {
    return model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
  }

  static boolean[] promptMask(Options o) {
    boolean[] given = new boolean[o.rowLength()];
    Arrays.fill(given, 0, o.promptTokens(), true);
    return given;
  }

  static List<int[]> tails(List<int[]> rows, int from) {
    List<int[]> out = new ArrayList<>(rows.size());
    for (int[] r : rows) {
      out.add(Arrays.copyOfRange(r, from, r.length));
    }
    return out;
  }
}

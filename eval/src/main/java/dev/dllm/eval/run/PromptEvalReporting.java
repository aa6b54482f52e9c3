package dev.dllm.eval.run;

import dev.dllm.eval.metrics.ConditionalGenPerplexity;
import dev.dllm.eval.metrics.ScoredIds;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.eval.run.PromptEvalRun.Options;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report parts of {@link PromptEvalRun}: the settings section (with the definitions of every
 * measured quantity), the JSON sections of a gen PPL and of a throughput, and the readable table
 * (its header, number format and column layout).
 */
final class PromptEvalReporting {
  private PromptEvalReporting() {}

  /** The table's header row. */
  static String[] header() {
    return new String[] {
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
    };
  }

  /**
   * The report's {@code settings} section.
   *
   * @param scorer the AR scorer
   * @param weaker whether the scorer is weaker than some judged model
   * @param strengths the scorer check per model directory
   */
  static Map<String, Object> settings(
      Options o, Scorer scorer, boolean weaker, Map<String, Object> strengths) {
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
    return settings;
  }

  static Map<String, Object> speed(Throughput t) {
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

  static String num(double v) {
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

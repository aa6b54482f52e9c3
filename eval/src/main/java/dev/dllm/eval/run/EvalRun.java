package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.likelihood.EvalData;
import dev.dllm.eval.likelihood.EvalSource;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.likelihood.LikelihoodEval;
import dev.dllm.eval.metrics.EntropyStats;
import dev.dllm.eval.metrics.GenPplUnit;
import dev.dllm.eval.metrics.GenerativePerplexity;
import dev.dllm.eval.metrics.ScoredIds;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.eval.pareto.ParetoFrontier;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dllm eval} as a Java API (the demo calls it directly): likelihood of an export on a corpus
 * (val NLL / NELBO through the family's float64 {@code nelbo}), and, when samples are asked for,
 * throughput, entropy (with the collapse flag against the eval text's own entropy) and gen PPL
 * under a separate AR scorer. Writes {@code eval-report.json} atomically.
 */
public final class EvalRun {
  private EvalRun() {}

  /**
   * What to evaluate.
   *
   * @param model export directory
   * @param data corpus or zero-shot file; null = the validation split of the corpus the model was
   *     trained on when recorded, else of the bundled Tiny Shakespeare ({@link EvalSource})
   * @param scorer AR export for gen PPL; null = no gen PPL
   * @param numSamples samples to draw (0 = likelihood only)
   * @param steps sampling steps T
   * @param batch rows per forward pass (likelihood and sampling)
   * @param seed seed of corruption draws and samples
   * @param maxRows cap on likelihood rows (0 = all)
   * @param mode block mode of the eval text
   * @param detokenizer {@code auto|none|wikitext|ptb}
   * @param samplerOptions family sampler options
   * @param topP nucleus mass
   * @param ort ONNX Runtime settings
   */
  public record Options(
      Path model,
      Path data,
      Path scorer,
      int numSamples,
      int steps,
      int batch,
      long seed,
      int maxRows,
      BlockMode mode,
      String detokenizer,
      Map<String, String> samplerOptions,
      double topP,
      OrtConfig ort) {
    /** These options with another scorer export folder. */
    public Options withScorer(Path scorerDir) {
      return new Options(
          model,
          data,
          scorerDir,
          numSamples,
          steps,
          batch,
          seed,
          maxRows,
          mode,
          detokenizer,
          samplerOptions,
          topP,
          ort);
    }
  }

  /**
   * The length a model's samples are drawn and scored at: its training L, or 256 when the export
   * does not record one.
   */
  static int sampleLength(OnnxModel model) {
    return model.metadata().seqLen() >= 2 ? model.metadata().seqLen() : 256;
  }

  /**
   * The {@link SampleBudget} check of {@code o.numSamples()} against the model's L, on its own: for
   * a caller with costly work to do before {@link #run} (training a scorer) that {@link #run} would
   * otherwise refuse only afterwards.
   *
   * @throws dev.dllm.api.InvalidInputException when the samples would not fit, or the model folder
   *     cannot be opened
   */
  public static void checkSampleBudget(Options o) {
    if (o.numSamples() > 0) {
      try (OnnxModel model = OnnxModel.open(o.model(), o.ort())) {
        int seqLen = sampleLength(model);
        SampleBudget.check(o.numSamples(), seqLen, o.model().toString());
      }
    }
  }

  /** The report (as written to JSON) and a readable table. */
  public record Report(Map<String, Object> json, String table) {}

  /** {@link #run(Options, Path, PrintStream)} without a log. */
  public static Report run(Options o, Path outDir) throws IOException {
    return run(o, outDir, null);
  }

  /**
   * Runs the evaluation and writes {@code outDir/eval-report.json} when outDir is not null. Before
   * any work: refuses a scorer that is the judged model, refuses a {@code --num-samples} beyond
   * {@link SampleBudget}, and prints a WARNING line to {@code log} (when not null) for a scorer
   * that is not stronger than the model ({@link ScorerStrength}, recorded under {@code
   * scorer_check}).
   *
   * @throws InvalidInputException for bad input (exit 2), also for an export whose family cannot
   *     score its likelihood through the ONNX graphs (an Eso-LM with alpha_0 &lt; 1), naming it
   * @throws IOException when the report cannot be written
   */
  public static Report run(Options o, Path outDir, PrintStream log) throws IOException {
    return run(o, outDir, log, log == null ? ProgressReporter.NONE : ProgressReporter.lines(log));
  }

  /**
   * {@link #run(Options, Path, PrintStream)}, showing the progress of the likelihood pass (rows),
   * the sampling (samples) and the gen-PPL scoring (chunks) through {@code progress}.
   */
  public static Report run(Options o, Path outDir, PrintStream log, ProgressReporter progress)
      throws IOException {
    return run(o, outDir, log, progress, null);
  }

  /**
   * {@link #run(Options, Path, PrintStream, ProgressReporter)} with the samples drawn and scored by
   * {@code runner} in units of {@code batch} samples ({@link SampleChunks}; null = here): the
   * report is the same bit for bit either way, timings aside.
   */
  public static Report run(
      Options o,
      Path outDir,
      PrintStream log,
      ProgressReporter progress,
      SampleChunks.Runner runner)
      throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    List<String[]> rows = new ArrayList<>();
    try (Scorer scorer =
            o.scorer() == null || o.numSamples() == 0
                ? null
                : Scorer.open(o.scorer(), o.ort(), o.batch());
        OnnxModel model = OnnxModel.open(o.model(), o.ort())) {
      if (scorer != null) {
        scorer.checkNotJudged(o.model()); // before any work
      }
      Tokenizer tok = model.tokenizer();
      int seqLen = sampleLength(model);
      if (o.numSamples() > 0) {
        SampleBudget.check(o.numSamples(), seqLen, o.model().toString()); // before any work
      }
      boolean causal = model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
      json.put("model", describe(model, o));
      if (scorer != null) {
        ScorerStrength strength = scorer.strengthAgainst(model);
        String warning = strength.warning(scorer.directory(), o.model());
        if (warning != null && log != null) {
          log.println(warning);
        }
        json.put("scorer_check", strength.toMap());
      }
      EvalSource source = EvalSource.choose(o.data(), model);
      if (log != null) {
        log.println(source.line());
      }
      EvalText text =
          EvalData.load(
              source.path(),
              tok,
              seqLen,
              o.mode(),
              o.detokenizer(),
              o.maxRows(),
              source.newlines());
      LikelihoodEval.Result lik;
      try (Progress p =
          progress.start(
              causal ? "val NLL" : "val NELBO", Math.max(1, text.rows().size()), "rows")) {
        lik =
            LikelihoodEval.evaluate(
                model.family(),
                model.denoiser(),
                model.metadata().specials(),
                text.rows(),
                o.batch(),
                o.seed(),
                p);
      } catch (UnsupportedOperationException e) { // e.g. Eso-LM with alpha_0 < 1
        throw new InvalidInputException(
            "--model "
                + o.model()
                + ": family "
                + model.family().name()
                + " has no likelihood on this export ("
                + e.getMessage()
                + "); its samples can still be scored: dllm pareto or dllm sample + dllm score");
      }
      Map<String, Object> l = new LinkedHashMap<>();
      Map<String, Object> choices = new LinkedHashMap<>(source.toMap());
      choices.putAll(text.choices());
      l.put("data", choices);
      l.put("kind", causal ? "exact NLL" : "NELBO (upper bound on NLL)");
      l.put("nats_per_token", lik.natsPerToken());
      l.put("bits_per_token", lik.natsPerToken() / Math.log(2));
      l.put("ppl", lik.perplexity());
      l.put("tokens", lik.total().tokens());
      l.put("rows", lik.rows());
      l.put("batches", lik.batches());
      l.put("seed", o.seed());
      json.put("likelihood", l);
      rows.add(new String[] {"eval text", source.description()});
      rows.add(row(causal ? "val NLL (nats/token)" : "val NELBO (nats/token)", lik.natsPerToken()));
      rows.add(row(causal ? "val PPL" : "val PPL bound", lik.perplexity()));
      if (o.numSamples() > 0) {
        SamplerSpec spec = new SamplerSpec(o.steps(), o.topP(), o.samplerOptions());
        List<SampleChunks.Task> tasks =
            SampleChunks.tasks(
                0,
                o.model().toString(),
                o.ort(),
                spec,
                o.numSamples(),
                o.batch(),
                seqLen,
                o.seed(),
                scorer == null ? null : o.scorer().toString());
        List<SampleChunks.Result> units;
        if (runner != null) {
          units = runner.run(tasks);
        } else {
          try (Progress p = progress.start("sampling", o.numSamples(), "samples")) {
            units = SampleChunks.runHere(tasks, model, scorer, p, progress);
          }
        }
        SampleChunks.Point point =
            SampleChunks.combine(units, tasks.get(0), causal, o.ort().threads());
        ModelSampler.Samples s = point.samples();
        double entropy = EntropyStats.mean(s.ids(), tok.specials());
        double reference = referenceEntropy(text, seqLen);
        Map<String, Object> sm = new LinkedHashMap<>();
        Throughput t = s.throughput();
        sm.put("num_samples", o.numSamples());
        sm.put("seq_len", seqLen);
        sm.put("steps", s.steps());
        sm.put("sampler_options", o.samplerOptions());
        sm.put("top_p", o.topP());
        sm.put("batch", t.batch());
        sm.put("threads", t.threads());
        sm.put("provider", model.provider());
        sm.put("seconds", t.seconds());
        sm.put("tokens_per_second", t.tokensPerSecond());
        sm.put("nfe_per_sample", t.nfePerSample());
        sm.put("peak_rss_bytes", t.peakRssBytes() < 0 ? null : t.peakRssBytes());
        sm.put("peak_rss_scope", t.rssSinceReset() ? "this measurement" : "process lifetime");
        sm.put("peak_heap_bytes", t.peakHeapBytes());
        sm.put("entropy_mean", entropy);
        sm.put("entropy_ids", ScoredIds.DEFINITION);
        sm.put("reference_entropy", Double.isNaN(reference) ? null : reference);
        sm.put("entropy_collapsed", ParetoFrontier.collapsed(entropy, reference));
        json.put("sampling", sm);
        rows.add(row("steps", s.steps()));
        rows.add(row("NFE / sample", t.nfePerSample()));
        rows.add(row("tokens / s", t.tokensPerSecond()));
        rows.add(
            row(
                "peak RSS (MiB)",
                t.peakRssBytes() < 0 ? Double.NaN : t.peakRssBytes() / 1048576.0));
        rows.add(row("entropy (nats)", entropy));
        rows.add(row("reference entropy (nats)", reference));
        if (scorer != null) {
          GenerativePerplexity.Result g = point.gen();
          GenPplUnit unit = GenPplUnit.of(scorer.tokenizer(), tok);
          json.put("gen_ppl", genPpl(g, scorer, unit));
          rows.add(
              new String[] {
                "gen PPL", row("", g.perplexity())[1] + "  " + unit.note(g.droppedCharacters())
              });
          rows.add(row("gen PPL scored tokens", g.scoredTokens()));
        } else {
          json.put("gen_ppl", Map.of("skipped", NO_SCORER));
          rows.add(new String[] {"gen PPL", "- (" + NO_SCORER + ")"});
        }
      }
    }
    String table = table(rows);
    if (outDir != null) {
      EvalFiles.writeJson(outDir.resolve("eval-report.json"), json);
    }
    return new Report(json, table);
  }

  /**
   * Why a run with samples has no gen PPL, as the table and {@code gen_ppl.skipped} say: there is
   * no default scorer (the bundled one is char-level Tiny Shakespeare, whose number would be in
   * other units for most models), so gen PPL is computed only when a scorer is named.
   */
  public static final String NO_SCORER =
      "no gen PPL: no scorer given; pass --scorer default|train-default|DIR to score the samples";

  /**
   * The gen-PPL section of a report, with its unit ({@link GenPplUnit}: {@code unit}, {@code
   * comparable_to_model_tokens}).
   */
  public static Map<String, Object> genPpl(
      GenerativePerplexity.Result g, Scorer scorer, GenPplUnit unit) {
    Map<String, Object> m = genPpl(g, scorer);
    m.putAll(unit.toMap());
    return m;
  }

  /** The gen-PPL section of a report. */
  public static Map<String, Object> genPpl(GenerativePerplexity.Result g, Scorer scorer) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ppl", g.perplexity());
    m.put("nats_per_token", g.natsPerToken());
    m.put("samples", g.samples());
    m.put("scored_tokens", g.scoredTokens());
    m.put("chunks", g.chunks());
    m.put("context", g.context());
    m.put("retokenized", g.retokenized());
    m.put("dropped_characters", g.droppedCharacters());
    m.put("aggregation", "exp(sum NLL / sum scored tokens) over all samples and chunks, float64");
    m.put("scorer", scorer.describe());
    return m;
  }

  /** Mean unigram entropy of windows of L tokens of the eval text, or NaN when too short. */
  public static double referenceEntropy(EvalText text, int length) {
    int total = text.rows().stream().mapToInt(r -> r.length).sum();
    int[] stream = new int[total];
    int off = 0;
    for (int[] r : text.rows()) {
      System.arraycopy(r, 0, stream, off, r.length);
      off += r.length;
    }
    return total >= length ? EntropyStats.ofWindows(stream, length) : Double.NaN;
  }

  private static Map<String, Object> describe(OnnxModel model, Options o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dir", model.directory().toString());
    m.put("family", model.family().name());
    m.put("n_eff", model.metadata().model().nEff());
    m.put("seq_len", model.metadata().seqLen());
    m.put("tokenizer", model.metadata().tokenizerSpec());
    m.put("provider", model.provider());
    m.put("threads", o.ort().threads());
    m.put("training", model.metadata().training());
    return m;
  }

  private static String[] row(String name, double v) {
    return new String[] {
      name,
      Double.isNaN(v)
          ? "-"
          : v == Math.rint(v) && Math.abs(v) < 1e9
              ? String.format(Locale.ROOT, "%.0f", v)
              : String.format(Locale.ROOT, "%.4f", v)
    };
  }

  /** Two aligned columns. */
  static String table(List<String[]> rows) {
    int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      sb.append(String.format(Locale.ROOT, "%-" + w + "s  %s%n", r[0], r[1]));
    }
    return sb.toString();
  }
}

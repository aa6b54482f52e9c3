package dev.dllm.eval.run;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.sample.ConfidenceDecoding;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.likelihood.EvalData;
import dev.dllm.eval.likelihood.EvalText;
import dev.dllm.eval.metrics.EntropyStats;
import dev.dllm.eval.metrics.GenPplUnit;
import dev.dllm.eval.metrics.GenerativePerplexity;
import dev.dllm.eval.pareto.ParetoFiles;
import dev.dllm.eval.pareto.ParetoFrontier;
import dev.dllm.eval.pareto.ParetoPoint;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code dllm pareto} as a Java API: every model × step count × sampler variant is sampled ({@link
 * ModelSampler}), timed, scored by the AR scorer and its entropy measured; a causal family (AR) has
 * one setting (L − 1 steps, with the KV cache when the export has a decode graph). The points, the
 * non-dominated set and the entropy-collapse flags (per model, against windows of the reference
 * text in that model's own tokenizer) are written as {@code pareto.json}, {@code pareto.csv} and
 * {@code pareto.png}.
 */
public final class ParetoRun {
  private ParetoRun() {}

  /**
   * A sampler setting.
   *
   * @param family the family it applies to, or null for every non-causal family
   * @param label name on the chart and in the files
   * @param options family sampler options
   */
  public record Variant(String family, String label, Map<String, String> options) {

    /**
     * The legend entry of a variant that selects its own sampler through a {@code predictor} option
     * (e.g. {@code predictor=confidence}): the predictor with its settings, {@code confidence (τ
     * 0.9, block 32)} with the defaults of {@link ConfidenceDecoding} filled in, or {@code
     * fixed_count (k=v, ...)} with the other options; null for a variant without one, whose points
     * stay in their family's series.
     */
    public String series() {
      String predictor = options.get("predictor");
      if (predictor == null) {
        return null;
      }
      List<String> settings = new ArrayList<>();
      if (predictor.equals("confidence")) {
        ConfidenceDecoding c = ConfidenceDecoding.parse(new SamplerSpec(1, 1.0, options));
        settings.add(String.format(Locale.ROOT, "τ %s", trim(c.threshold())));
        settings.add("block " + c.blockLength());
        if (c.argmax()) {
          settings.add("argmax");
        }
        options.entrySet().stream()
            .filter(e -> !e.getKey().equals("predictor"))
            .filter(e -> !ConfidenceDecoding.KEYS.contains(e.getKey()))
            .forEach(e -> settings.add(e.getKey() + "=" + e.getValue()));
      } else {
        new TreeMap<>(options)
            .entrySet().stream()
                .filter(e -> !e.getKey().equals("predictor"))
                .forEach(e -> settings.add(e.getKey() + "=" + e.getValue()));
      }
      return settings.isEmpty() ? predictor : predictor + " (" + String.join(", ", settings) + ")";
    }

    private static String trim(double v) {
      return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
  }

  /**
   * What to measure.
   *
   * @param models export directories (never the scorer)
   * @param steps step counts T for non-causal families
   * @param variants sampler settings (empty = one {@code default} setting)
   * @param scorer the AR scorer's export
   * @param numSamples samples per point
   * @param batch rows per sampler call, or {@link #BATCH_MAX}: per model, the largest power of two
   *     &le; {@code numSamples} whose sampler buffers fit the memory bound ({@link ParetoBatch})
   * @param seed sampling seed (the same for every point)
   * @param topP nucleus mass
   * @param reference text for the collapse reference (null = bundled validation split)
   * @param ort ONNX Runtime settings
   */
  public record Options(
      List<Path> models,
      List<Integer> steps,
      List<Variant> variants,
      Path scorer,
      int numSamples,
      int batch,
      long seed,
      double topP,
      Path reference,
      OrtConfig ort) {
    /** These options with another scorer export folder. */
    public Options withScorer(Path scorerDir) {
      return new Options(
          models, steps, variants, scorerDir, numSamples, batch, seed, topP, reference, ort);
    }
  }

  /** {@link Options#batch} for {@code --batch max} ({@link ParetoBatch}). */
  public static final int BATCH_MAX = ParetoBatch.MAX;

  /** The flagged points and the PNG path. */
  public record Result(List<ParetoPoint> points, Path png) {}

  /**
   * Rows of L tokens of the reference text in the model's tokenizer: its whole validation split
   * through the training pipeline (as {@link EvalRun} takes it), or, when the model's tokenizer
   * cannot encode the whole corpus (a char vocabulary of another corpus), the file itself with
   * unknown characters dropped.
   */
  static EvalText reference(Path text, OnnxModel model, int len) {
    try {
      // every row of the split, as dllm eval takes it: the same model gets the same reference
      return EvalData.load(text, model.tokenizer(), len, BlockMode.PACK, "auto", 0);
    } catch (InvalidInputException e) {
      Path file = text != null ? text : dev.dllm.data.BundledCorpus.tinyShakespeare();
      if (!java.nio.file.Files.isRegularFile(file)) {
        throw e;
      }
      return dev.dllm.eval.likelihood.EvalText.load(
          file,
          dev.dllm.eval.likelihood.Detokenizer.forFile(file),
          model.tokenizer(),
          len,
          BlockMode.PACK,
          256);
    }
  }

  /**
   * Refuses, before anything is sampled: a model listed twice (the same real path), a {@code
   * --num-samples} beyond {@link SampleBudget} for a model's L, two variants with the same family
   * and label, a variant naming a family that none of the models has (the message lists those
   * present) or a causal family (AR has one setting), a {@code *} variant when every model is
   * causal, and a variant whose options its family's sampler rejects.
   *
   * @throws InvalidInputException naming the model or the variant
   */
  public static void check(Options o) {
    ModelDirs.requireDistinct(o.models(), "--models", "list each model once");
    Map<String, DiffusionFamily> diffusion = new TreeMap<>();
    Set<String> present = new TreeSet<>();
    for (Path dir : o.models()) {
      try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
        int len = EvalRun.sampleLength(model);
        SampleBudget.check(o.numSamples(), len, dir.toString());
        String fam = model.family().name();
        present.add(fam);
        if (model.family().backbone().attention() != BackboneSpec.Attention.CAUSAL) {
          diffusion.putIfAbsent(fam, model.family());
        }
      }
    }
    Set<String> labels = new HashSet<>();
    for (Variant v : o.variants()) {
      String name = (v.family() == null ? "*" : v.family()) + ":" + v.label();
      if (!labels.add(name)) {
        throw new InvalidInputException("--variant " + name + " is given twice");
      }
      if (v.family() != null && !diffusion.containsKey(v.family())) {
        throw new InvalidInputException(
            "--variant "
                + name
                + ": "
                + (present.contains(v.family())
                    ? v.family() + " is causal and has one setting (L - 1 steps), no variants"
                    : "no model is of family " + v.family())
                + "; the models' families: "
                + String.join(", ", present));
      }
      if (v.family() == null && diffusion.isEmpty()) {
        throw new InvalidInputException(
            "--variant "
                + name
                + ": every model is causal (one setting each); the models' families: "
                + String.join(", ", present));
      }
      for (Map.Entry<String, DiffusionFamily> f : diffusion.entrySet()) {
        if (v.family() == null || v.family().equals(f.getKey())) {
          for (int t : o.steps()) {
            try {
              f.getValue().newSampler(new SamplerSpec(t, o.topP(), v.options()));
            } catch (InvalidInputException e) {
              throw new InvalidInputException(
                  "--variant " + name + " (" + f.getKey() + "): " + e.getMessage());
            }
          }
        }
      }
    }
  }

  /**
   * Measures every point and writes the three files into {@code outDir}. Before the first point,
   * the input is checked ({@link #check}, which includes {@code --num-samples} within {@link
   * SampleBudget}) and every model is checked: not the scorer, and a WARNING line on {@code log}
   * for a scorer not stronger than it ({@link ScorerStrength}).
   *
   * @throws InvalidInputException for the bad input {@link #check} lists, before any sampling
   * @throws IOException when the files cannot be written
   */
  public static Result run(Options o, Path outDir, PrintStream log) throws IOException {
    return run(o, outDir, log, log == null ? ProgressReporter.NONE : ProgressReporter.lines(log));
  }

  /**
   * {@link #run(Options, Path, PrintStream)}, showing the progress of every point's sampling
   * (samples) and gen-PPL scoring (chunks) through {@code progress}.
   */
  public static Result run(Options o, Path outDir, PrintStream log, ProgressReporter progress)
      throws IOException {
    return run(o, outDir, log, progress, null);
  }

  /**
   * {@link #run(Options, Path, PrintStream, ProgressReporter)} with every point's samples drawn and
   * scored by {@code runner} ({@link SampleChunks}: all points' units in one call; null = here, one
   * point after the other). The points are the same bit for bit either way, tokens/s aside.
   */
  public static Result run(
      Options o,
      Path outDir,
      PrintStream log,
      ProgressReporter progress,
      SampleChunks.Runner runner)
      throws IOException {
    check(o);
    Map<Integer, List<SampleChunks.Result>> done =
        runner == null ? Map.of() : ParetoPoints.runAll(o, runner);
    List<ParetoPoint> points = new ArrayList<>();
    Map<String, Object> references = new LinkedHashMap<>();
    Map<String, Object> units = new LinkedHashMap<>();
    double firstReference = Double.NaN;
    int scorerBatch = o.batch() == BATCH_MAX ? ParetoBatch.SCORER_BATCH : o.batch();
    try (Scorer scorer = Scorer.open(o.scorer(), o.ort(), scorerBatch)) {
      for (Path dir : o.models()) {
        scorer.checkNotJudged(dir);
      }
      Map<String, Object> strengths = new LinkedHashMap<>();
      boolean weaker = false;
      for (Path dir : o.models()) { // every check before the first point
        try (OnnxModel model = OnnxModel.open(dir, o.ort())) { // --num-samples: checked in check()
          ScorerStrength strength = scorer.strengthAgainst(model);
          String warning = strength.warning(scorer.directory(), dir);
          if (warning != null && log != null) {
            log.println(warning);
          }
          weaker |= strength.scorerWeaker();
          strengths.put(dir.toString(), strength.toMap());
        }
      }
      for (Path dir : o.models()) {
        try (OnnxModel model = OnnxModel.open(dir, o.ort())) {
          int len = EvalRun.sampleLength(model);
          EvalText ref = reference(o.reference(), model, len);
          double refH = EvalRun.referenceEntropy(ref, len);
          references.put(dir.toString(), refH);
          if (Double.isNaN(firstReference)) {
            firstReference = refH;
          }
          String fam = model.family().name();
          int batch = ParetoBatch.of(o.batch(), o.numSamples(), model, len);
          GenPplUnit unit = GenPplUnit.of(scorer.tokenizer(), model.tokenizer());
          Map<String, Object> unitJson = unit.toMap();
          List<Long> dropped = new ArrayList<>();
          unitJson.put("dropped_characters_per_point", dropped);
          units.put(dir.toString(), unitJson);
          if (log != null) {
            log.println(fam + " " + dir + ": gen PPL " + unit.label());
          }
          boolean causal = model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
          List<Integer> steps = causal ? List.of(len - 1) : o.steps();
          for (Variant v : ParetoPoints.variants(o, model)) {
            for (int t : steps) {
              SamplerSpec spec = new SamplerSpec(t, o.topP(), v.options());
              List<SampleChunks.Task> tasks =
                  ParetoPoints.tasks(o, points.size(), dir, spec, len, batch);
              List<SampleChunks.Result> chunks = done.get(points.size());
              if (chunks == null) {
                String phase = "sampling " + fam + " " + v.label() + " T=" + t;
                try (Progress p = progress.start(phase, o.numSamples(), "samples")) {
                  chunks = SampleChunks.runHere(tasks, model, scorer, p, progress);
                }
              }
              SampleChunks.Point point =
                  SampleChunks.combine(chunks, tasks.get(0), causal, o.ort().threads());
              ModelSampler.Samples s = point.samples();
              GenerativePerplexity.Result g = point.gen();
              double h = EntropyStats.mean(s.ids(), model.tokenizer().specials());
              ParetoPoint p =
                  new ParetoPoint(
                      fam,
                      dir.toString(),
                      v.label(),
                      s.steps(),
                      s.throughput().tokensPerSecond(),
                      g.perplexity(),
                      h,
                      s.throughput().nfePerSample(),
                      ParetoFrontier.collapsed(h, refH),
                      false,
                      s.throughput().peakRssBytes(),
                      v.series(),
                      batch);
              points.add(p);
              dropped.add(g.droppedCharacters());
              if (log != null) {
                log.printf(
                    Locale.ROOT,
                    "%-6s %-14s T=%-4d %9.1f tok/s  gen PPL %8.2f%s  entropy %.3f%s  NFE %.1f  batch %d%n",
                    fam,
                    v.label(),
                    s.steps(),
                    p.tokensPerSecond(),
                    p.genPpl(),
                    unit.sameTokenizer()
                        ? ""
                        : " (" + GenPplUnit.dropped(g.droppedCharacters()) + ")",
                    h,
                    p.collapsed() ? " (collapsed)" : "",
                    p.nfe(),
                    p.batch());
              }
            }
          }
        }
      }
      List<ParetoPoint> flagged = ParetoFrontier.markFrontier(points);
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("scorer", scorer.describe());
      settings.put("scorer_weaker_than_model", weaker);
      settings.put("scorer_check_per_model", strengths);
      settings.put("num_samples", o.numSamples());
      settings.put("batch", o.batch() == BATCH_MAX ? "max" : o.batch());
      settings.put("threads", o.ort().threads());
      settings.put("provider", o.ort().provider());
      settings.put("seed", o.seed());
      settings.put("top_p", o.topP());
      settings.put("steps", o.steps());
      settings.put("reference_entropy_per_model", references);
      settings.put("gen_ppl_unit_per_model", units);
      settings.put(
          "reference_text",
          o.reference() == null
              ? "bundled Tiny Shakespeare (validation)"
              : o.reference().toString());
      Path png = ParetoFiles.write(outDir, flagged, firstReference, settings);
      return new Result(flagged, png);
    }
  }
}

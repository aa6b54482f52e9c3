package dev.dllm.eval.run;

import dev.dllm.api.metrics.PerplexityMeter;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.metrics.GenerativePerplexity;
import dev.dllm.eval.metrics.PeakMemory;
import dev.dllm.eval.metrics.Throughput;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * The samples of one (model, steps, sampler setting) point as independent units of work, so that
 * they can be drawn and scored anywhere (here one after the other, or as Spark tasks by {@code
 * distributed-spark}) with the same result bit for bit: unit k draws samples [k·B, min(N, (k+1)·B))
 * in one sampler call from the k-th split of {@code new Rng(seed)} (exactly the stream {@link
 * ModelSampler#draw} gives batch k), is scored on its own ({@link GenerativePerplexity}), and the
 * units are combined in index order: ids concatenated, Σ NLL (compensated, {@link PerplexityMeter})
 * and Σ scored tokens summed, gen PPL = exp(Σ NLL / Σ tokens), never a mean of per-unit values.
 */
public final class SampleChunks {
  private SampleChunks() {}

  /**
   * Unit {@code index} of a point.
   *
   * @param point the point's position in the caller's list
   * @param index k: samples [k·batch, min(numSamples, (k+1)·batch))
   * @param model export directory
   * @param ort ONNX Runtime settings of the model and the scorer
   * @param steps sampling steps T
   * @param topP nucleus mass
   * @param options family sampler options
   * @param numSamples N, samples of the whole point
   * @param batch B, samples per unit (and scorer chunks per forward pass)
   * @param length L, tokens per sample
   * @param seed the point's sampling seed
   * @param scorer the AR scorer's export, or null for no gen PPL
   */
  public record Task(
      int point,
      int index,
      String model,
      OrtSettings ort,
      int steps,
      double topP,
      TreeMap<String, String> options,
      int numSamples,
      int batch,
      int length,
      long seed,
      String scorer)
      implements Serializable {
    /** The first sample's index. */
    public int first() {
      return index * batch;
    }

    /** Samples of this unit. */
    public int count() {
      return Math.min(batch, numSamples - first());
    }

    /** The spec every unit of the point samples with. */
    public SamplerSpec spec() {
      return new SamplerSpec(steps, topP, options);
    }
  }

  /** {@link OrtConfig} as a serializable value. */
  public record OrtSettings(String provider, int threads, String optLevel) implements Serializable {
    /** The same settings. */
    public static OrtSettings of(OrtConfig c) {
      return new OrtSettings(c.provider(), c.threads(), c.optLevel());
    }

    /** Back to the runtime's settings. */
    public OrtConfig config() {
      return new OrtConfig(provider, threads, optLevel);
    }
  }

  /**
   * The outcome of one unit.
   *
   * @param ids one {@code int[L]} per sample
   * @param nanos sampler time (the warm-up row excluded)
   * @param nfeSum Σ NFE over the unit's samples
   * @param peakRssBytes peak RSS of the JVM that drew it (-1 when unknown)
   * @param gen the unit's gen PPL partial sums, or null without a scorer
   */
  public record Result(
      int point, int index, List<int[]> ids, long nanos, double nfeSum, long peakRssBytes, Gen gen)
      implements Serializable {}

  /** Gen PPL partial sums of a unit (the fields of {@link GenerativePerplexity.Result}). */
  public record Gen(
      int samples,
      long scoredTokens,
      double nll,
      boolean retokenized,
      long droppedCharacters,
      int chunks,
      int context)
      implements Serializable {}

  /** Runs units (in any order, anywhere) and returns their results. */
  public interface Runner {
    /** Results of {@code tasks} in the order of {@code tasks}. */
    List<Result> run(List<Task> tasks);
  }

  /** The units of one point, in index order. */
  public static List<Task> tasks(
      int point,
      String model,
      OrtConfig ort,
      SamplerSpec spec,
      int numSamples,
      int batch,
      int length,
      long seed,
      String scorer) {
    List<Task> out = new ArrayList<>();
    for (int k = 0; k * batch < numSamples; k++) {
      out.add(
          new Task(
              point,
              k,
              model,
              OrtSettings.of(ort),
              spec.steps(),
              spec.topP(),
              new TreeMap<>(spec.options()),
              numSamples,
              batch,
              length,
              seed,
              scorer));
    }
    return out;
  }

  /**
   * Draws unit {@code t} on {@code model}: after one untimed warm-up row when {@code warmUp}, one
   * sampler call of {@code t.count()} rows from the {@code t.index()}-th split of {@code new
   * Rng(t.seed())}.
   */
  public static Result sample(Task t, OnnxModel model, boolean warmUp) {
    Sampler sampler = model.family().newSampler(t.spec());
    if (warmUp) {
      sampler.sample(
          model.denoiser(), 1, t.length(), model.metadata().specials(), new Rng(~t.seed()));
      PeakMemory.reset();
    }
    Rng rng = new Rng(t.seed());
    Rng stream = rng.split();
    for (int k = 0; k < t.index(); k++) {
      stream = rng.split();
    }
    int b = t.count();
    long t0 = System.nanoTime();
    SampleBatch s =
        sampler.sample(model.denoiser(), b, t.length(), model.metadata().specials(), stream);
    long nanos = System.nanoTime() - t0;
    List<int[]> ids = new ArrayList<>(b);
    for (int r = 0; r < b; r++) {
      ids.add(Arrays.copyOfRange(s.tokens().ids(), r * t.length(), (r + 1) * t.length()));
    }
    long rss = PeakMemory.read().rssBytes();
    return new Result(t.point(), t.index(), ids, nanos, (double) s.nfe() * b, rss, null);
  }

  /** {@code r} with its samples scored by {@code scorer} (ids of {@code sampleTokenizer}). */
  public static Result score(
      Result r, Scorer scorer, Tokenizer sampleTokenizer, ProgressReporter progress) {
    return scoreEach(List.of(r), scorer, sampleTokenizer, progress).get(0);
  }

  /** Each unit scored on its own, under one {@code gen PPL} progress phase. */
  static List<Result> scoreEach(
      List<Result> rs, Scorer scorer, Tokenizer sampleTokenizer, ProgressReporter progress) {
    List<List<int[]>> groups = new ArrayList<>();
    for (Result r : rs) {
      groups.add(r.ids());
    }
    List<GenerativePerplexity.Result> gs = scorer.scoreEach(groups, sampleTokenizer, progress);
    List<Result> out = new ArrayList<>();
    for (int i = 0; i < rs.size(); i++) {
      Result r = rs.get(i);
      GenerativePerplexity.Result g = gs.get(i);
      Gen gen =
          new Gen(
              g.samples(),
              g.scoredTokens(),
              g.nll(),
              g.retokenized(),
              g.droppedCharacters(),
              g.chunks(),
              g.context());
      out.add(
          new Result(r.point(), r.index(), r.ids(), r.nanos(), r.nfeSum(), r.peakRssBytes(), gen));
    }
    return out;
  }

  /**
   * Draws every unit of a point here on the open {@code model} (one warm-up row before the first)
   * and, with a scorer, scores each unit: what a distributed runner does per task.
   */
  public static List<Result> runHere(
      List<Task> tasks,
      OnnxModel model,
      Scorer scorer,
      Progress sampling,
      ProgressReporter scoring) {
    List<Result> out = new ArrayList<>();
    for (Task t : tasks) {
      out.add(sample(t, model, out.isEmpty()));
      sampling.advance(t.count());
    }
    return scorer == null ? out : scoreEach(out, scorer, model.tokenizer(), scoring);
  }

  /**
   * One point from its units (any order; combined in index order).
   *
   * @param samples the ids, steps and throughput, as {@link ModelSampler#draw} gives them
   * @param gen gen PPL over all units, or null without a scorer
   */
  public record Point(ModelSampler.Samples samples, GenerativePerplexity.Result gen) {}

  /**
   * Combines the units of one point.
   *
   * @param causal whether the family is causal (steps = L − 1)
   * @param threads the ONNX Runtime threads (recorded only)
   */
  public static Point combine(List<Result> units, Task any, boolean causal, int threads) {
    List<Result> rs = new ArrayList<>(units);
    rs.sort(Comparator.comparingInt(Result::index));
    List<int[]> ids = new ArrayList<>();
    long nanos = 0;
    double nfe = 0;
    long rss = -1;
    PerplexityMeter meter = new PerplexityMeter();
    boolean scored = !rs.isEmpty() && rs.get(0).gen() != null;
    int samples = 0;
    int chunks = 0;
    long dropped = 0;
    boolean retokenized = false;
    int context = 0;
    for (Result r : rs) {
      ids.addAll(r.ids());
      nanos += r.nanos();
      nfe += r.nfeSum();
      rss = Math.max(rss, r.peakRssBytes());
      if (scored) {
        Gen g = r.gen();
        meter.add(g.nll(), g.scoredTokens());
        samples += g.samples();
        chunks += g.chunks();
        dropped += g.droppedCharacters();
        retokenized |= g.retokenized();
        context = g.context();
      }
    }
    int n = ids.size();
    Throughput t =
        new Throughput(
            n,
            any.length(),
            nanos / 1e9,
            nfe / n,
            any.batch(),
            threads,
            rss,
            PeakMemory.read().heapBytes(),
            true);
    ModelSampler.Samples s =
        new ModelSampler.Samples(ids, causal ? any.length() - 1 : any.steps(), t);
    GenerativePerplexity.Result gen = null;
    if (scored) {
      gen =
          new GenerativePerplexity.Result(
              samples,
              meter.tokens(),
              meter.total().nll(),
              meter.perplexity(),
              retokenized,
              dropped,
              chunks,
              context);
    }
    return new Point(s, gen);
  }

  /** Whether {@code model}'s family is causal. */
  static boolean causal(OnnxModel model) {
    return model.family().backbone().attention() == BackboneSpec.Attention.CAUSAL;
  }
}

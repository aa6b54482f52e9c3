package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.metrics.ConditionalGenPerplexity;
import dev.dllm.eval.metrics.GenerativePerplexity;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gen-PPL judge: an exported AR model opened with ONNX Runtime and wrapped in {@link
 * GenerativePerplexity} (context = its training length). It must be a stronger model than the ones
 * it judges and never one of them; {@link #checkNotJudged} refuses the same folder, and {@link
 * #strengthAgainst} compares recorded val losses (a weaker scorer is warned about, not refused).
 */
public final class Scorer implements AutoCloseable {
  private final OnnxModel model;
  private final Tokenizer tokenizer;
  private final GenerativePerplexity gp;
  private final ConditionalGenPerplexity cgp;

  private Scorer(OnnxModel model, int batch) {
    this.model = model;
    this.tokenizer = model.tokenizer();
    int ctx = model.metadata().seqLen() >= 2 ? model.metadata().seqLen() : 1024;
    this.gp = new GenerativePerplexity(model.denoiser(), model.family(), tokenizer, ctx, batch);
    this.cgp =
        new ConditionalGenPerplexity(model.denoiser(), model.family(), tokenizer, ctx, batch);
  }

  /**
   * Opens {@code dir}.
   *
   * @throws InvalidInputException when it is not an export or not an AR model
   */
  public static Scorer open(Path dir, OrtConfig ort, int batch) {
    OnnxModel m = OnnxModel.open(dir, ort);
    try {
      return new Scorer(m, batch);
    } catch (RuntimeException e) {
      m.close();
      if (e instanceof InvalidInputException) {
        throw new InvalidInputException("--scorer " + dir + ": " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * Refuses to judge a model with itself.
   *
   * @throws InvalidInputException when {@code judged} is the scorer's folder
   */
  public void checkNotJudged(Path judged) {
    if (judged
        .toAbsolutePath()
        .normalize()
        .equals(model.directory().toAbsolutePath().normalize())) {
      throw new InvalidInputException(
          "--scorer "
              + judged
              + " is also a judged model; the scorer must be a separate, stronger AR");
    }
  }

  /** Its recorded val NLL against {@code judged}'s val loss, see {@link ScorerStrength}. */
  public ScorerStrength strengthAgainst(OnnxModel judged) {
    return ScorerStrength.of(model, judged);
  }

  /** The scorer's export folder. */
  public Path directory() {
    return model.directory();
  }

  /** Scores samples of {@code sampleTokenizer}. */
  public GenerativePerplexity.Result score(List<int[]> samples, Tokenizer sampleTokenizer) {
    return gp.score(samples, sampleTokenizer);
  }

  /** Scores samples of {@code sampleTokenizer}, showing the progress in scored chunks. */
  public GenerativePerplexity.Result score(
      List<int[]> samples, Tokenizer sampleTokenizer, ProgressReporter progress) {
    return gp.score(samples, sampleTokenizer, true, progress);
  }

  /**
   * Scores samples of {@code sampleTokenizer} with or without BOS prepended ({@link
   * GenerativePerplexity#score(List, Tokenizer, boolean)}).
   */
  public GenerativePerplexity.Result score(
      List<int[]> samples, Tokenizer sampleTokenizer, boolean prependBos) {
    return gp.score(samples, sampleTokenizer, prependBos);
  }

  /**
   * Each group of samples scored on its own with BOS ({@link GenerativePerplexity#scoreEach}),
   * under one {@code gen PPL} progress phase.
   */
  public List<GenerativePerplexity.Result> scoreEach(
      List<List<int[]>> groups, Tokenizer sampleTokenizer, ProgressReporter progress) {
    return gp.scoreEach(groups, sampleTokenizer, true, progress);
  }

  /** The scorer's tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Scores each continuation given its prompt ({@link ConditionalGenPerplexity}), both ids of
   * {@code sampleTokenizer}; an empty prompt scores the continuation given nothing but BOS.
   */
  public ConditionalGenPerplexity.Result scoreGiven(
      List<int[]> prompts, List<int[]> continuations, Tokenizer sampleTokenizer) {
    return cgp.score(prompts, continuations, sampleTokenizer);
  }

  /** The scorer's description for reports. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dir", model.directory().toString());
    m.put("family", model.family().name());
    m.put("n_eff", model.metadata().model().nEff());
    m.put("seq_len", model.metadata().seqLen());
    m.put("tokenizer", model.metadata().tokenizerSpec());
    m.put("training", model.metadata().training());
    return m;
  }

  @Override
  public void close() {
    model.close();
  }
}

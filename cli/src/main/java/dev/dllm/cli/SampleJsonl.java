package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.Completion;
import dev.dllm.runtime.onnx.Generated;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSONL that {@code dllm sample} ({@link SampleCommand}) writes: one line per sample, and the
 * summary numbers (NFE, entropy, seconds, generated tokens, row length, stop reasons) its report is
 * made of.
 */
final class SampleJsonl {
  private SampleJsonl() {}

  /**
   * Samples, their JSONL text and summary numbers.
   *
   * @param seconds wall seconds of the sampler calls (each batch counted once)
   * @param tokens generated tokens over all rows (N·L, or N·(L + strides·stride_length); N·(L − 1)
   *     for a causal family, whose rows start from BOS; for prompted samples the generated spans)
   * @param rowLength tokens in the longest row
   * @param stopReasons samples per stop reason
   */
  record Result(
      String jsonl,
      double nfeMean,
      double seconds,
      double entropyMean,
      long tokens,
      int rowLength,
      Map<String, Integer> stopReasons) {}

  /** {@link #jsonl(List, SpecialTokens, SampleRequests, int, int)} of unconditional samples. */
  static Result jsonl(List<Generated> samples, SpecialTokens specials) throws IOException {
    return jsonl(samples, specials, SampleRequests.NONE, samples.size(), 0);
  }

  /**
   * One JSON line per sample: index, for prompted runs the request (its 0-based index and, from a
   * file, its line), {@code prompt} or {@code prefix}/{@code suffix}, then {@code completion},
   * {@code stop_reason}, {@code prompt_length}, {@code generated_ids} (the span, ids after its EOS
   * included), and as before text (the whole row decoded), ids (the whole row), steps, NFE and the
   * entropy over the ids gen PPL scores (the row minus PAD and MASK, {@link
   * dev.dllm.eval.metrics.ScoredIds}, as eval and pareto).
   *
   * @param n samples per request
   * @param givenPerRow positions of each sample's generated ids that the sampler gave rather than
   *     generated (1 for the BOS of an unconditional causal row), left out of {@link Result#tokens}
   */
  static Result jsonl(
      List<Generated> samples,
      SpecialTokens specials,
      SampleRequests requests,
      int n,
      int givenPerRow)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    StringBuilder lines = new StringBuilder();
    double nfeSum = 0;
    double entropySum = 0;
    double seconds = 0;
    long tokens = 0;
    int rowLength = 0;
    Map<String, Integer> reasons = new LinkedHashMap<>();
    for (String reason : List.of(Completion.EOS, Completion.STOP, Completion.LENGTH)) {
      reasons.put(reason, 0);
    }
    boolean prompted = requests.source() != null;
    for (Generated g : samples) {
      int[] scored = dev.dllm.eval.metrics.ScoredIds.of(g.ids(), specials);
      double h = SampleEntropy.of(scored, 0, scored.length);
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("index", g.index());
      if (requests.prompt() != null) {
        line.put("prompt", requests.prompt());
      } else if (!requests.file().isEmpty()) {
        PromptRequests.Request r = requests.request(g.index(), n);
        line.put("request", g.index() / n);
        line.put("line", r.line());
        if (r.prompt().isInfill() || r.prompt().length() > 0) {
          line.put("prefix", r.prompt().prefix());
          line.put("suffix", r.prompt().suffix());
          line.put("length", r.prompt().length());
        } else {
          line.put("prompt", r.prompt().prefix());
        }
      }
      line.put("completion", g.completion());
      line.put("stop_reason", g.stopReason());
      line.put("prompt_length", g.promptLength());
      if (prompted || g.generated().length != g.ids().length) {
        line.put("generated_ids", g.generated());
      }
      line.put("text", g.text());
      line.put("ids", g.ids());
      line.put("steps", g.steps());
      line.put("nfe", g.nfe());
      line.put("entropy", h);
      lines.append(json.writeValueAsString(line)).append('\n');
      nfeSum += g.nfe();
      entropySum += h;
      seconds += g.seconds() / g.batchSize();
      tokens += Math.max(0, g.generated().length - givenPerRow);
      rowLength = Math.max(rowLength, g.ids().length);
      reasons.merge(g.stopReason(), 1, Integer::sum);
    }
    int count = samples.size();
    return new Result(
        lines.toString(), nfeSum / count, seconds, entropySum / count, tokens, rowLength, reasons);
  }
}

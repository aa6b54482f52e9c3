package dev.dllm.server;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.Completion;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.PromptLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples one batch of rows with equal {@link Job.Key}s in one sampler call, as {@code
 * DllmGenerator#generate} samples the rows of one request: the rows' conditionings stacked ({@link
 * PromptLayout#conditioning}), one random stream per row, every given token checked to be kept,
 * each row cut to its own prompt and span and its completion cut at EOS and before the first stop
 * string of its own request ({@link Completion}); a streamed choice of a diffusion family gets its
 * closing {@link Job.Frame} (the sampled span) before its result. Jobs of a failed call fail: 400
 * for an input the family refuses, 500 otherwise; a call every client of which went away is
 * stopped.
 */
final class BatchRun {
  private static final Logger LOG = LoggerFactory.getLogger(BatchRun.class);
  private final ServerMetrics metrics;

  BatchRun(ServerMetrics metrics) {
    this.metrics = metrics;
  }

  /** Samples {@code batch} (rows of equal keys) and delivers every row to its job. */
  void run(List<Job.Row> batch) {
    Set<Job> jobs = new LinkedHashSet<>();
    batch.forEach(r -> jobs.add(r.job()));
    try {
      sample(batch);
    } catch (CancellationException e) {
      metrics.cancelledBatch();
      jobs.forEach(j -> j.fail(e));
    } catch (InvalidInputException e) {
      jobs.forEach(j -> j.fail(ApiException.invalid(null, e.getMessage())));
    } catch (RuntimeException | Error e) {
      LOG.error("sampling failed for {} rows of {}", batch.size(), jobs.size(), e);
      jobs.forEach(
          j ->
              j.fail(
                  new ApiException(
                      500, "server_error", null, null, "sampling failed: " + e.getMessage())));
    }
  }

  private void sample(List<Job.Row> batch) {
    Job first = batch.get(0).job();
    ServedModel model = first.model;
    GenerateOptions spec =
        GenerateOptions.defaults()
            .withSteps(first.key.steps())
            .withTopP(first.key.topP())
            .withMaxNewTokens(1);
    for (var e : first.key.options().entrySet()) {
      spec = spec.withOption(e.getKey(), e.getValue());
    }
    Sampler sampler = model.generator().newSampler(spec);
    List<PromptLayout.Row> layouts = new ArrayList<>();
    Rng[] streams = new Rng[batch.size()];
    for (int b = 0; b < batch.size(); b++) {
      layouts.add(batch.get(b).layout());
      streams[b] = batch.get(b).stream();
    }
    Conditioning cond = PromptLayout.conditioning(layouts);
    SpecialTokens specials = model.generator().model().metadata().specials();
    ObservedDenoiser denoiser =
        new ObservedDenoiser(model.generator().model().denoiser(), batch, cond);
    if (batch.stream().anyMatch(r -> r.job().streamed())
        && sampler.canvasListener(denoiser::frame)) {
      denoiser.samplerReports();
    }
    SampleBatch s;
    try {
      s = sampler.sample(denoiser, cond, specials, streams, null);
    } finally {
      metrics.networkRows(denoiser.rowCache().rowsFed(), denoiser.rowCache().rowsReused());
    }
    int rowLength = cond.length();
    if (s.tokens().batch() != batch.size() || s.tokens().length() != rowLength) {
      throw new IllegalStateException(
          "sampler returned ["
              + s.tokens().batch()
              + ", "
              + s.tokens().length()
              + "] for a conditioning of ["
              + batch.size()
              + ", "
              + rowLength
              + "]");
    }
    int[] all = s.tokens().ids();
    for (int b = 0; b < batch.size(); b++) {
      for (int l = 0; l < rowLength; l++) {
        if (cond.isGiven(b, l) && all[b * rowLength + l] != cond.id(b, l)) {
          throw new IllegalStateException(
              "sampler changed the given token at row " + b + ", position " + l);
        }
      }
    }
    for (int b = 0; b < batch.size(); b++) {
      Job.Row r = batch.get(b);
      PromptLayout.Row p = r.layout();
      int from = b * rowLength + p.prompt();
      int[] span = Arrays.copyOfRange(all, from, from + p.span());
      if (r.job().streamed() && !model.causal()) {
        r.job().events.add(new Job.Frame(r.index(), s.nfe(), s.nfe(), span, true));
      }
      Completion c =
          Completion.of(
              span, model.generator().tokenizer(), specials.eos(), true, r.job().request.stop());
      metrics.generated(c.tokens());
      r.job()
          .finish(
              new Job.RowResult(
                  r.index(),
                  c.text(),
                  c.stopReason().equals(Completion.LENGTH) ? "length" : "stop",
                  p.prompt(),
                  c.tokens(),
                  s.nfe(),
                  batch.size()));
    }
  }
}

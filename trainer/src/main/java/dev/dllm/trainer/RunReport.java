package dev.dllm.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.trainer.data.SftData;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@link TrainReport} of a run and its file {@code out/train-report.json} (written atomically,
 * with the permissions the umask gives).
 */
final class RunReport {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RunReport() {}

  /**
   * The report of the whole run up to {@link RunSetup#endStep()}, with this invocation's segment
   * (see {@link TrainReport} for the fields and units).
   */
  static TrainReport of(TrainConfig config, RunSetup setup, TrainingLoop.Outcome outcome) {
    DitConfig shape = setup.shape();
    long nEff = shape.nEff();
    long startStep = setup.startStep();
    long endStep = setup.endStep();
    long segmentSteps = endStep - startStep;
    long tokensPerStep = RunSetup.tokensPerStep(config);
    long tokens = endStep * tokensPerStep;
    double seconds = outcome.seconds();
    ValidationResult val = outcome.val();
    List<Double> trace = setup.start().trace();
    double lastLoss = trace.isEmpty() ? Double.NaN : trace.get(trace.size() - 1);
    return new TrainReport(
        setup.family().name(),
        setup.objectiveName(),
        ModelShape.name(config),
        setup.tokenizer().spec(),
        setup.tokenizer().vocabSize(),
        DitLayout.totalParams(shape),
        DitLayout.nonEmbeddingParams(shape),
        nEff,
        config.seqLen(),
        config.batch(),
        config.accumulation(),
        endStep,
        startStep,
        endStep,
        segmentSteps,
        tokens,
        FlopsBudget.spent(endStep, nEff, config.batch(), config.seqLen()),
        config.flops() > 0 ? config.flops() : null,
        setup.start().priorSeconds() + seconds,
        seconds,
        outcome.validationSeconds(),
        outcome.finalValidationSeconds(),
        finiteOrNull(seconds > 0 ? segmentSteps * tokensPerStep / seconds : Double.NaN),
        config.threads() > 0 ? config.threads() : engineThreads(),
        finiteOrNull(lastLoss),
        val.natsPerToken(),
        val.bitsPerToken(),
        val.perplexity(),
        val.tokens(),
        val.batches(),
        config.ema() > 0,
        config.checkpointDir().toString(),
        setup.start().traceStart(),
        trace,
        setup.data().corpus(),
        setup.data() instanceof SftData sft ? sft.summary() : null);
  }

  /**
   * Writes {@code report} to {@code out/train-report.json} through a temporary sibling and an
   * atomic rename.
   *
   * @throws UncheckedIOException when writing fails (an earlier report is then unchanged)
   */
  static void write(TrainConfig config, TrainReport report) {
    Path target = config.reportFile();
    Path tmp = null;
    try {
      Files.createDirectories(config.out());
      // not Files.createTempFile: that makes the file 0600; this one follows the umask
      tmp =
          config
              .out()
              .resolve(
                  ".train-report.json."
                      + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                      + ".tmp");
      try (OutputStream os =
          Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        JSON.writeValue(os, report);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  private static Double finiteOrNull(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static int engineThreads() {
    String p = System.getProperty("ai.djl.pytorch.num_threads");
    return p != null ? Integer.parseInt(p) : Runtime.getRuntime().availableProcessors();
  }
}

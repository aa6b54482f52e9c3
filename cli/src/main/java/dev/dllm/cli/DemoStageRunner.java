package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How {@link DemoStages} (and its downstream stage, {@link DemoDownstream}) runs one stage: another
 * dllm command through a {@link DemoStages.Runner}, its output streamed (indented) or kept and
 * shown only on failure, a failure turned into the demo's exit code; and whether a training folder
 * holds a checkpoint that {@code train --resume} can continue.
 */
final class DemoStageRunner implements DemoDownstream.Stages {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final boolean verbose;
  private final PrintStream out;
  private final DemoStages.Runner runner;

  DemoStageRunner(Path dir, boolean verbose, PrintStream out, DemoStages.Runner runner) {
    this.dir = dir;
    this.verbose = verbose;
    this.out = out;
    this.runner = runner;
  }

  /**
   * True when {@code runDir} holds a checkpoint that {@code train --resume} can continue (one
   * before the run's last step). A run whose checkpoint is final but whose report is missing
   * (stopped while validating) cannot be resumed: it is moved aside (kept, never deleted) and
   * trained again.
   */
  @Override
  public boolean resumable(Path runDir) throws IOException {
    Path config = runDir.resolve("checkpoint").resolve("config.json");
    if (!Files.isRegularFile(config)) {
      config = runDir.resolve(".checkpoint.prev").resolve("config.json");
    }
    if (!Files.isRegularFile(config)) {
      return false;
    }
    JsonNode training = JSON.readTree(config.toFile()).path("training");
    long step = training.path("step").asLong(-1);
    long total = training.path("total_steps").asLong(-1);
    if (step >= 0 && total > 0 && step < total) {
      return true;
    }
    if (Files.isRegularFile(runDir.resolve("train-report.json"))) {
      return false; // finished
    }
    Path aside =
        runDir.resolveSibling(runDir.getFileName() + ".incomplete-" + System.currentTimeMillis());
    Files.move(runDir, aside);
    out.println("   (its checkpoint has no report; kept as " + aside + ", training again)");
    return false;
  }

  /**
   * Runs another dllm command. {@code stream}: its output goes to the demo's output as it comes
   * (indented); otherwise it is kept and shown only if the stage fails.
   *
   * @throws InvalidInputException when the stage exits with code 2 (bad input)
   * @throws StageFailedException when it fails otherwise
   */
  @Override
  public void stage(boolean stream, String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of(args));
    if (verbose) {
      all.add("--verbose");
    }
    PrintStream stageOut =
        new PrintStream(stream ? new Indent(out) : buf, true, StandardCharsets.UTF_8);
    int rc =
        runner.run(
            all.toArray(String[]::new),
            stageOut,
            new PrintStream(errBuf, true, StandardCharsets.UTF_8));
    stageOut.flush();
    if (rc == 0) {
      return;
    }
    out.print(buf.toString(StandardCharsets.UTF_8));
    String reason = errBuf.toString(StandardCharsets.UTF_8).strip();
    if (verbose) {
      out.println(reason);
    }
    int nl = reason.indexOf('\n');
    String message =
        "stage 'dllm "
            + String.join(" ", args)
            + "' failed (exit "
            + rc
            + "): "
            + (nl < 0 ? reason : reason.substring(0, nl))
            + "; finished stages are kept: continue with dllm demo --resume "
            + dir;
    if (rc == Main.EXIT_BAD_INPUT) {
      throw new InvalidInputException(message);
    }
    throw new StageFailedException(message);
  }

  /** Indents every line (also those a progress bar redraws after '\r') by three spaces. */
  static final class Indent extends OutputStream {
    private final OutputStream out;
    private boolean lineStart = true;

    Indent(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      if (lineStart && b != '\n' && b != '\r') {
        out.write("   ".getBytes(StandardCharsets.US_ASCII));
      }
      out.write(b);
      lineStart = b == '\n' || b == '\r';
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}

package dev.dllm.spark;

import dev.dllm.api.run.CommandRunner;
import dev.dllm.cli.Sweep;
import dev.dllm.cli.SweepCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.DefaultParser;

/**
 * One sweep run in its own JVM, started by the task on the executor's host: DJL keeps one gradient
 * collector and one PyTorch thread setting per process, so two runs cannot train at once in one JVM
 * (the second fails with "A PtGradientCollector is already collecting"). The child has the
 * executor's class path and its {@code dllm.*} / {@code ai.djl.*} settings, prints its log to the
 * task's stdout and writes the run's status ({@link Sweep#trainOne}) to a file. A child that dies
 * (crash, kill, out of memory) fails the task, and Spark retries it.
 */
final class RunProcess {
  /** Exit code of a child stopped by the test hook after its checkpoint. */
  static final int STOPPED = 3;

  private RunProcess() {}

  /**
   * Trains run {@code run} of the sweep given by {@code args} in a child JVM.
   *
   * @param stopAfter 0, or stop with a checkpoint after this many steps and exit {@link #STOPPED}
   * @return the run's status
   * @throws IllegalStateException when the child exits with another code than 0
   */
  static String train(List<String> args, int run, long stopAfter)
      throws IOException, InterruptedException {
    Path status = Files.createTempFile("dllm-run-", ".status");
    try {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xss4m");
      for (String key : System.getProperties().stringPropertyNames()) {
        if (key.startsWith("dllm.")
            || key.startsWith("ai.djl.")
            || key.equals("java.awt.headless")) {
          cmd.add("-D" + key + "=" + System.getProperty(key));
        }
      }
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(RunProcess.class.getName());
      cmd.add(status.toString());
      cmd.add(Integer.toString(run));
      cmd.add(Long.toString(stopAfter));
      cmd.addAll(args);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          System.out.println(line);
        }
      }
      int rc = p.waitFor();
      if (rc == STOPPED && stopAfter > 0) {
        throw new IllegalStateException(
            "injected failure of run "
                + run
                + ": its training process stopped after step "
                + stopAfter
                + " ("
                + SweepTask.FAULT_HOOK
                + ")");
      }
      if (rc != 0) {
        throw new IllegalStateException(
            "the training process of run " + run + " exited with code " + rc);
      }
      return Files.readString(status, StandardCharsets.UTF_8).strip();
    } finally {
      Files.deleteIfExists(status);
    }
  }

  /**
   * The child: {@code STATUS_FILE RUN STOP_AFTER SWEEP_ARGS...}. Exit codes as every dllm process
   * ({@link CommandRunner}: 2 bad input, 1 our fault, with the stack trace on standard output for
   * the parent's log), or {@link #STOPPED}.
   */
  public static void main(String[] a) {
    int code =
        CommandRunner.run(
            "dllm sweep (run " + (a.length > 1 ? a[1] : "?") + ")",
            true,
            System.out,
            () -> {
              Path status = Path.of(a[0]);
              int run = Integer.parseInt(a[1]);
              long stopAfter = Long.parseLong(a[2]);
              String[] sweepArgs = java.util.Arrays.copyOfRange(a, 3, a.length);
              Sweep.Plan plan =
                  SweepCommand.plan(
                      new DefaultParser().parse(new SweepCommand().options(), sweepArgs));
              String s = Sweep.trainOne(plan, run, System.out, stopAfter);
              if (stopAfter > 0 && s.equals("stopped")) {
                return STOPPED;
              }
              Files.writeString(status, s, StandardCharsets.UTF_8);
              return CommandRunner.OK;
            });
    System.out.flush();
    System.exit(code);
  }
}

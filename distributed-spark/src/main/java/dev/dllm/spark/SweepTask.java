package dev.dllm.spark;

import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;

/**
 * One Spark task of a sweep: trains run i in a child JVM ({@link RunProcess}, which rebuilds the
 * plan from the {@code dllm sweep} arguments and resumes an unfinished checkpoint). An error is
 * thrown again (Spark retries the task) until the last attempt, which returns {@code failed: ERROR}
 * instead.
 *
 * <p>Test hook: the Spark setting {@value #FAULT_HOOK} = {@code I:K} (for example the system
 * property {@code -Dspark.dllm.test.failFirstAttempt=0:2}) makes the training process of the first
 * attempt of run I (its index in the plan) stop after step K with its checkpoint written and exit
 * with an error, as a process killed mid-run would.
 */
final class SweepTask implements Function<Integer, String> {
  private static final long serialVersionUID = 1L;

  /** The test hook's Spark setting. */
  static final String FAULT_HOOK = "spark.dllm.test.failFirstAttempt";

  private final List<String> args;
  private final int attempts;
  private final String fault;

  SweepTask(List<String> args, int attempts, String fault) {
    this.args = List.copyOf(args);
    this.attempts = attempts;
    this.fault = fault;
  }

  @Override
  public String call(Integer run) throws Exception {
    int attempt = TaskContext.get() == null ? 0 : TaskContext.get().attemptNumber();
    try {
      long stopAfter = faultSteps(run);
      return RunProcess.train(args, run, attempt == 0 ? stopAfter : 0);
    } catch (Exception e) {
      if (attempt + 1 >= attempts) {
        return "failed: " + describe(e);
      }
      throw e;
    }
  }

  /** K of the hook {@code I:K} when I is {@code run}, else 0. */
  private long faultSteps(int run) {
    if (fault.isBlank()) {
      return 0;
    }
    String[] p = fault.split(":");
    if (p.length != 2) {
      throw new IllegalArgumentException(FAULT_HOOK + " must be RUN:STEPS, got '" + fault + "'");
    }
    return Integer.parseInt(p[0].trim()) == run ? Long.parseLong(p[1].trim()) : 0;
  }

  /** {@code ClassName: message} of the innermost cause, on one line. */
  static String describe(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return (c.getClass().getSimpleName() + (m == null ? "" : ": " + m)).replace('\n', ' ');
  }
}

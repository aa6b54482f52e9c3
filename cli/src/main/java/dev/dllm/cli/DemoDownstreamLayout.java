package dev.dllm.cli;

import java.nio.file.Path;

/**
 * Where the downstream stage ({@link DemoDownstream}) keeps its files, below the demo folder: the
 * working folder {@value DemoDownstream#DIR} with the task in {@code task/} and one folder per run
 * ({@code <family>-<objective>}: {@code init/}, {@code sft/}, {@code onnx/}, {@code task-eval/}).
 *
 * @param dir the demo folder
 */
record DemoDownstreamLayout(Path dir) {
  /** The stage's working folder. */
  Path root() {
    return dir.resolve(DemoDownstream.DIR);
  }

  /** The task written by {@code dllm make-task}. */
  Path task() {
    return root().resolve("task");
  }

  /** The folder of one (family, objective) run. */
  Path runDir(String[] run) {
    return root().resolve(run[0] + "-" + run[1]);
  }

  /** The {@code task-eval} report of one run. */
  Path evalReport(String[] run) {
    return runDir(run).resolve("task-eval").resolve(dev.dllm.eval.task.TaskEvalRun.REPORT);
  }
}

package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.EvalFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's downstream stage (issue 17): the demo's four recipes trained at equal FLOPs on the
 * laptop arithmetic task ({@code dllm make-task}, fixed seed and knobs), each evaluated on the
 * task's test split with {@code dllm task-eval}; one table of val loss (response only), strict and
 * flexible accuracy with 95% Wilson intervals, tokens/s and NFE, next to the most-frequent-answer
 * baseline, written as {@value #REPORT}, {@value #CHART} and into the demo report.
 *
 * <p>How each model is trained: from a fresh initialization, directly in SFT form ({@code dllm
 * finetune} on the task's {@code train.jsonl}: prompt given, loss on the response and its EOS
 * padding only). A one-step {@code dllm train} at lr 1e-9 on the task's {@code train.txt} writes
 * the fresh (reference-initialized) checkpoint with a char vocabulary built from the task's own
 * text (digits included); its weights move by about 1e-9, so the fine-tuning starts from the
 * initialization. Why not pre-train on the task text first: the questions are random draws (names,
 * items, amounts) that no model can predict, so a text-level objective spends most of its compute
 * on unpredictable prompt tokens, while SFT spends all of it on the answer given the question,
 * which is what the task scores (a reasoned choice; the pre-train-then-SFT alternative was not
 * measured against it).
 *
 * <p>This class holds the knobs and drives the stage; the commands it runs are in {@link
 * DemoDownstreamSteps}, the report, table and chart in {@link DemoDownstreamReport}, the file
 * layout in {@link DemoDownstreamLayout}.
 *
 * <p>Resumable like the other stages: each step's output tells whether it finished (the task's
 * {@code task.json}, a run's {@code train-report.json}, an export's {@code export-report.json}, a
 * {@code task-eval-report.json}); an interrupted fine-tuning continues with {@code finetune
 * --resume}; {@value #REPORT} and {@value #CHART} are written once every evaluation is done.
 */
final class DemoDownstream {
  /** The stage's report, in the demo folder. */
  static final String REPORT = "downstream.json";

  /** The stage's bar chart, in the demo folder. */
  static final String CHART = "downstream.png";

  /** The stage's working folder, in the demo folder. */
  static final String DIR = "downstream";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The knobs of the stage, fixed per demo form (tuned by running it, partly: see the README).
   *
   * @param seed task seed
   * @param taskSteps K, operations per problem ({@code make-task --steps})
   * @param maxNumber M ({@code make-task --max-number})
   * @param trainItems train split size
   * @param testItems test split size (all evaluated)
   * @param preset model preset of every family
   * @param seqLen L: one prompt + response + EOS padding per block (the longest pair fits)
   * @param batch pairs per optimizer step
   * @param flops training FLOPs per family (equal for all)
   * @param lr peak learning rate
   * @param maxNewTokens N free positions after the prompt (the longest answer fits)
   * @param samplerSteps T of the diffusion samplers (AR: one token per call)
   * @param style the task's text ({@code make-task --style}: story or short)
   */
  record Knobs(
      long seed,
      int taskSteps,
      int maxNumber,
      int trainItems,
      int testItems,
      String preset,
      int seqLen,
      int batch,
      String flops,
      String lr,
      int maxNewTokens,
      int samplerSteps,
      String style) {
    /** The full demo's stage. */
    static Knobs full() {
      // K 1, M 10, short style (prompt <= 39 chars, answer <= 28): majority baseline 9.5%; at
      // L 72, B 16, lr 8e-3, 1.5e12 FLOPs (~2,300 steps) AR reached 84% strict in 43 s of training
      // on 2 quiet cores (README); the story style at L 224 stayed under the baseline
      return new Knobs(0, 1, 10, 2000, 200, "xxs", 72, 16, "1.5e12", "8e-3", 32, 32, "short");
    }

    /** {@code --quick}: a smoke run of the same pipeline (a few steps, a few test items). */
    static Knobs quick() {
      return new Knobs(0, 1, 5, 200, 16, "xxs", 72, 4, "1e10", "4e-3", 32, 16, "short");
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("task_seed", seed);
      m.put("task_steps", taskSteps);
      m.put("max_number", maxNumber);
      m.put("train_items", trainItems);
      m.put("test_items", testItems);
      m.put("preset", preset);
      m.put("seq_len", seqLen);
      m.put("batch", batch);
      m.put("flops", flops);
      m.put("lr", lr);
      m.put("max_new_tokens", maxNewTokens);
      m.put("sampler_steps", samplerSteps);
      m.put("task_style", style);
      return m;
    }
  }

  /** How the stage runs a command and checks a training folder ({@link DemoStages}). */
  interface Stages {
    void stage(boolean stream, String... args);

    boolean resumable(Path runDir) throws IOException;
  }

  private final Path dir;
  private final DemoOptions o;
  private final Knobs k;
  private final String[][] runs;
  private final boolean resume;
  private final PrintStream out;
  private final Stages stages;
  private final DemoDownstreamLayout layout;

  DemoDownstream(
      Path dir,
      DemoOptions o,
      Knobs k,
      String[][] runs,
      boolean resume,
      PrintStream out,
      Stages stages) {
    this.dir = dir;
    this.o = o;
    this.k = k;
    this.runs = runs;
    this.resume = resume;
    this.out = out;
    this.stages = stages;
    this.layout = new DemoDownstreamLayout(dir);
  }

  private DemoDownstreamReport results() {
    return new DemoDownstreamReport(layout, o, k, runs, out);
  }

  /** Whether every evaluation, the report and the chart exist. */
  boolean finished() {
    if (!Files.isRegularFile(dir.resolve(REPORT)) || !Files.isRegularFile(dir.resolve(CHART))) {
      return false;
    }
    for (String[] run : runs) {
      if (!Files.isRegularFile(evalReport(run))) {
        return false;
      }
    }
    return true;
  }

  private Path evalReport(String[] run) {
    return layout.evalReport(run);
  }

  /** The finished stage's report ({@value #REPORT}); prints its table again. */
  @SuppressWarnings("unchecked")
  Map<String, Object> load() throws IOException {
    Map<String, Object> report = JSON.readValue(dir.resolve(REPORT).toFile(), Map.class);
    results().print(report);
    out.println("   -> " + dir.resolve(CHART) + " (and " + REPORT + ")");
    return report;
  }

  /** Runs what is not finished, prints the table, writes the reports; returns the report. */
  Map<String, Object> run() throws IOException {
    long t0 = System.nanoTime();
    Files.createDirectories(layout.root());
    Path task = layout.task();
    DemoDownstreamSteps steps = new DemoDownstreamSteps(layout, o, k, resume, out, stages);
    steps.makeTask();
    JsonNode taskJson = JSON.readTree(task.resolve("task.json").toFile());
    out.printf(
        Locale.ROOT,
        "   task %s: %d train, %d test items (K %d, M %d, %s style, seed %d); majority baseline"
            + " %.3f%n",
        task,
        taskJson.path("train").asInt(),
        taskJson.path("test").asInt(),
        k.taskSteps(),
        k.maxNumber(),
        k.style(),
        k.seed(),
        taskJson.path("test_majority_baseline").path("accuracy").asDouble());
    for (String[] run : runs) {
      steps.run(run);
    }
    DemoDownstreamReport results = results();
    Map<String, Object> report = results.report(taskJson, (System.nanoTime() - t0) / 1e9);
    results.print(report);
    EvalFiles.writeJson(dir.resolve(REPORT), report);
    results.writeChart(report);
    out.println("   -> " + dir.resolve(CHART) + " (and " + REPORT + ")");
    return report;
  }

  /** Adds the stage's report to the demo report ({@link DemoEval#REPORT}) under "downstream". */
  static void addToDemoReport(Path dir, Map<String, Object> downstream) throws IOException {
    Path file = dir.resolve(DemoEval.REPORT);
    Map<String, Object> report = new LinkedHashMap<>();
    if (Files.isRegularFile(file)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> old = JSON.readValue(file.toFile(), Map.class);
      report.putAll(old);
    }
    report.put("downstream", downstream);
    EvalFiles.writeJson(file, report);
  }
}

package dev.dllm.eval.task;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.data.bench.TokenizerBenchmark;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.runtime.onnx.PromptBos;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code dllm task-eval} as a Java API: GSM8K-format task accuracy of an export ({@link TaskRunner}
 * on its ONNX Runtime denoiser), written as {@code task-eval-report.json} and {@code
 * task-eval-items.jsonl} (one line per item: prompt, output, extracted, gold, correct).
 */
public final class TaskEvalRun {
  private TaskEvalRun() {}

  /** The report file name. */
  public static final String REPORT = "task-eval-report.json";

  /** The per-item file name. */
  public static final String ITEMS = "task-eval-items.jsonl";

  /**
   * What to evaluate.
   *
   * @param model export directory
   * @param task {@code gsm8k}, a folder with {@code test.jsonl} (and {@code train.jsonl} for
   *     shots), or a JSONL file (shots from a {@code train.jsonl} next to it)
   * @param shots K few-shot examples (the first K of the train split)
   * @param steps sampling steps T, or 0 for N
   * @param maxNewTokens N, or 0 for min(256, row / 2)
   * @param limit the first N test items only (0 = all)
   * @param batch items per sampler call
   * @param seed seed of the row streams
   * @param topP nucleus mass
   * @param samplerOptions family sampler options
   * @param ort ONNX Runtime settings
   */
  public record Options(
      Path model,
      String task,
      int shots,
      int steps,
      int maxNewTokens,
      int limit,
      int batch,
      long seed,
      double topP,
      Map<String, String> samplerOptions,
      OrtConfig ort) {}

  /** The test and train files of a task. */
  public record TaskFiles(String name, Path test, Path train) {}

  /**
   * Finds the task's files.
   *
   * @throws InvalidInputException when they do not exist (for {@code gsm8k}: when the shared data
   *     folder is not known or lacks {@code data/gsm8k/test.jsonl})
   */
  public static TaskFiles resolve(String task, int shots) {
    Path test;
    Path train;
    String name;
    if (task.equals("gsm8k")) {
      Path shared = TokenizerBenchmark.sharedDir();
      if (shared == null) {
        Path guess = Path.of("..", "shared");
        shared = Files.isDirectory(guess) ? guess : null;
      }
      if (shared == null) {
        throw new InvalidInputException(
            "--task gsm8k reads the shared data folder: set -Ddllm.shared=DIR (./dllm does when"
                + " ../shared exists) or $DLLM_SHARED, or pass the file: --task"
                + " DIR/data/gsm8k/test.jsonl");
      }
      Path dir = shared.resolve("data").resolve("gsm8k");
      test = dir.resolve("test.jsonl");
      train = dir.resolve("train.jsonl");
      name = "gsm8k";
      if (!Files.isRegularFile(test)) {
        throw new InvalidInputException("--task gsm8k: " + test + " does not exist");
      }
    } else {
      Path p = Path.of(task);
      if (Files.isDirectory(p)) {
        test = p.resolve("test.jsonl");
        train = p.resolve("train.jsonl");
      } else {
        test = p;
        train = p.resolveSibling("train.jsonl");
      }
      name = p.toString();
      if (!Files.isRegularFile(test)) {
        throw new InvalidInputException("--task " + task + ": " + test + " does not exist");
      }
    }
    if (shots > 0 && !Files.isRegularFile(train)) {
      throw new InvalidInputException(
          "--shots " + shots + " takes examples from the train split, but " + train + " is absent");
    }
    return new TaskFiles(name, test, shots > 0 ? train : null);
  }

  /** The report (as written) and a readable table. */
  public record Report(Map<String, Object> json, String table, TaskRunner.Result result) {}

  /**
   * Runs the evaluation and writes {@link #REPORT} and {@link #ITEMS} into {@code outDir} (when not
   * null).
   *
   * @throws InvalidInputException for bad input
   */
  public static Report run(Options o, Path outDir, PrintStream log) throws IOException {
    TaskFiles files = resolve(o.task(), o.shots());
    List<TaskItem> test = TaskFile.read(files.test());
    int total = test.size();
    if (o.limit() > 0 && o.limit() < test.size()) {
      test = test.subList(0, o.limit());
    }
    PromptTemplate template =
        files.train() == null
            ? new PromptTemplate(List.of())
            : PromptTemplate.firstN(TaskFile.read(files.train()), o.shots());
    int goldNotNumeric = 0;
    for (TaskItem it : test) {
      if (AnswerExtractor.number(it.gold()) == null) {
        goldNotNumeric++;
      }
    }
    try (OnnxModel model = OnnxModel.open(o.model(), o.ort())) {
      int block = model.metadata().seqLen();
      if (block < 2) {
        throw new InvalidInputException(
            "--model " + o.model() + " does not record its training length");
      }
      SamplerSpec probe = new SamplerSpec(Math.max(1, o.steps()), o.topP(), o.samplerOptions());
      int row = model.family().newSampler(probe).outputLength(block);
      int n = o.maxNewTokens() > 0 ? o.maxNewTokens() : Math.min(256, row / 2);
      int steps = o.steps() > 0 ? o.steps() : n;
      SamplerSpec spec = new SamplerSpec(steps, o.topP(), o.samplerOptions());
      // the BOS rule of dllm sample: before every prompt of an export trained in wrap mode
      int bos = PromptBos.id(model.metadata(), null);
      TaskRunner.checkRoom(
          model.family(), spec, block, model.metadata().specials(), bos, n); // before the header
      if (log != null) {
        log.printf(
            Locale.ROOT,
            "task-eval: %s, %d items, %d-shot, family %s, T %d, N %d%n",
            files.name(),
            test.size(),
            o.shots(),
            model.family().name(),
            steps,
            n);
      }
      TaskRunner.Result r =
          TaskRunner.run(
              model.family(),
              model.denoiser(),
              model.tokenizer(),
              model.metadata().specials(),
              block,
              template,
              test,
              new TaskRunner.Options(spec, n, o.batch(), o.seed(), true),
              bos);
      Map<String, Object> json = new LinkedHashMap<>();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("dir", model.directory().toString());
      m.put("family", model.family().name());
      m.put("n_eff", model.metadata().model().nEff());
      m.put("seq_len", block);
      m.put("tokenizer", model.metadata().tokenizerSpec());
      m.put("vocab_size", model.tokenizer().vocabSize());
      m.put("training", model.metadata().training());
      json.put("model", m);
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("name", files.name());
      t.put("test_file", files.test().toString());
      t.put("train_file", files.train() == null ? null : files.train().toString());
      t.put("test_items", total);
      t.put("evaluated_items", test.size());
      t.put("limit", o.limit());
      t.put("gold_not_numeric", goldNotNumeric);
      json.put("task", t);
      json.put("template", template.describe());
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("steps", steps);
      s.put("max_new_tokens", n);
      s.put("block_length", block);
      s.put("row_length", r.rowLength());
      s.put("bos_before_prompt", bos >= 0);
      s.put(
          "rows",
          r.prefixOnly()
              ? "prefix-only sampler: prompt given, then free positions up to max P + N of the"
                  + " batch (at most L); stops at EOS"
              : "prompt given at 0..P-1, free P..P+N-1, EOS given after (the row is R ="
                  + " outputLength(L))");
      s.put("completion", "span P..P+N-1 cut at the first EOS, decoded, cut before a stop string");
      s.put("top_p", o.topP());
      s.put("sampler_options", o.samplerOptions());
      s.put("batch", o.batch());
      s.put("seed", o.seed());
      s.put("row_streams", "item i draws from the i-th split of new Rng(seed)");
      json.put("sampling", s);
      Map<String, Object> acc = new LinkedHashMap<>();
      acc.put("strict", accuracy(r.strictCorrect(), test.size()));
      acc.put("flexible", accuracy(r.flexibleCorrect(), test.size()));
      acc.put(
          "extraction",
          Map.of(
              "strict",
              "first match of " + AnswerExtractor.STRICT.pattern(),
              "flexible",
              "last match of " + AnswerExtractor.FLEXIBLE.pattern(),
              "comparison",
              "',' and '$' and a trailing '.' removed, then equal as decimal numbers"));
      acc.put("interval", "95% Wilson score interval");
      json.put("accuracy", acc);
      json.put("majority_baseline", TaskGenerator.majorityBaseline(test));
      Map<String, Object> th = new LinkedHashMap<>();
      th.put("seconds", r.seconds());
      th.put("span_tokens", r.spanTokens());
      th.put("completion_tokens", r.completionTokens());
      th.put("tokens_per_second", r.tokensPerSecond());
      th.put(
          "tokens_definition",
          "span positions (N per item) generated per second of sampler wall clock, after one"
              + " untimed warm-up row");
      th.put("nfe_mean", r.nfeMean());
      th.put("nfe_definition", "network calls of the batch each item was drawn in, mean");
      th.put("threads", o.ort().threads());
      th.put("provider", model.provider());
      json.put("throughput", th);
      Map<String, Object> enc = new LinkedHashMap<>();
      enc.put("items_with_dropped_characters", r.itemsWithDroppedCharacters());
      enc.put("dropped_characters", r.droppedCharacters());
      enc.put(
          "handling",
          "characters of a prompt the tokenizer cannot encode are dropped (counted per item);"
              + " the gold answer is compared as text, never encoded");
      enc.put("truncated_prompts", r.truncatedPrompts());
      enc.put("truncation", "a prompt longer than row - N tokens keeps its last row - N tokens");
      json.put("encoding", enc);
      Map<String, Integer> reasons = new TreeMap<>();
      for (TaskRunner.ItemResult it : r.items()) {
        reasons.merge(it.stopReason(), 1, Integer::sum);
      }
      json.put("stop_reasons", reasons);
      json.put("items_file", ITEMS);
      if (outDir != null) {
        Files.createDirectories(outDir);
        EvalFiles.writeString(outDir.resolve(ITEMS), itemsJsonl(r));
        EvalFiles.writeJson(outDir.resolve(REPORT), json);
      }
      return new Report(json, table(json, r, test.size()), r);
    }
  }

  private static Map<String, Object> accuracy(int correct, int n) {
    WilsonInterval w = WilsonInterval.of95(correct, n);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("correct", correct);
    m.put("n", n);
    m.put("accuracy", n == 0 ? Double.NaN : (double) correct / n);
    m.put("ci95_low", w.low());
    m.put("ci95_high", w.high());
    return m;
  }

  /** One JSON line per item. */
  public static String itemsJsonl(TaskRunner.Result r) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (TaskRunner.ItemResult it : r.items()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("index", it.index());
      m.put("prompt", it.prompt());
      m.put("output", it.output());
      Map<String, Object> ex = new LinkedHashMap<>();
      ex.put("strict", it.strict());
      ex.put("flexible", it.flexible());
      m.put("extracted", ex);
      m.put("gold", it.gold());
      Map<String, Object> ok = new LinkedHashMap<>();
      ok.put("strict", it.strictCorrect());
      ok.put("flexible", it.flexibleCorrect());
      m.put("correct", ok);
      m.put("prompt_tokens", it.promptTokens());
      m.put("dropped_characters", it.droppedCharacters());
      m.put("truncated_tokens", it.truncatedTokens());
      m.put("completion_tokens", it.completionTokens());
      m.put("stop_reason", it.stopReason());
      m.put("nfe", it.nfe());
      sb.append(
          EvalFiles.JSON
              .writer()
              .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(m));
      sb.append('\n');
    }
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private static String table(Map<String, Object> json, TaskRunner.Result r, int n) {
    Map<String, Object> acc = (Map<String, Object>) json.get("accuracy");
    Map<String, Object> st = (Map<String, Object>) acc.get("strict");
    Map<String, Object> fl = (Map<String, Object>) acc.get("flexible");
    Map<String, Object> enc = (Map<String, Object>) json.get("encoding");
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "strict accuracy     %d/%d = %.4f  (95%% CI %.4f - %.4f)%n",
            st.get("correct"),
            n,
            st.get("accuracy"),
            st.get("ci95_low"),
            st.get("ci95_high")));
    sb.append(
        String.format(
            Locale.ROOT,
            "flexible accuracy   %d/%d = %.4f  (95%% CI %.4f - %.4f)%n",
            fl.get("correct"),
            n,
            fl.get("accuracy"),
            fl.get("ci95_low"),
            fl.get("ci95_high")));
    Map<String, Object> base = (Map<String, Object>) json.get("majority_baseline");
    sb.append(
        String.format(
            Locale.ROOT,
            "majority baseline   %.4f  (answer %s)%n",
            base.get("accuracy"),
            base.get("answer")));
    sb.append(String.format(Locale.ROOT, "tokens / s          %.1f%n", r.tokensPerSecond()));
    sb.append(String.format(Locale.ROOT, "NFE / item          %.1f%n", r.nfeMean()));
    sb.append(
        String.format(
            Locale.ROOT,
            "dropped characters  %d in %d items; truncated prompts %d%n",
            enc.get("dropped_characters"),
            enc.get("items_with_dropped_characters"),
            enc.get("truncated_prompts")));
    return sb.toString();
  }
}

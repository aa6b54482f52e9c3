package dev.dllm.eval.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * lm-eval-harness's {@code gsm8k} prompt ({@code doc_to_text: "Question: {{question}}\nAnswer:"},
 * {@code doc_to_target: "{{answer}}"}, target delimiter {@code " "}, few-shot delimiter {@code
 * "\n\n"}, few-shot examples: the first K items of the train split, {@code sampler: first_n}):
 *
 * <pre>
 * Question: {q_1}\nAnswer: {a_1}\n\n ... Question: {q_K}\nAnswer: {a_K}\n\nQuestion: {q}\nAnswer:
 * </pre>
 *
 * The model's completion is read after {@code "Answer:"}; the gold completion is {@code " " +
 * answer}. Generation stops at lm-eval's {@code until} strings {@link #STOP} (and at EOS).
 */
public final class PromptTemplate {
  /** lm-eval's gsm8k {@code generation_kwargs.until}. */
  public static final List<String> STOP = List.of("Question:", "</s>", "<|im_end|>");

  /** The template of one item. */
  public static final String ITEM = "Question: {question}\nAnswer:";

  private final List<TaskItem> shots;

  /**
   * @param shots the few-shot examples, in order (empty: zero-shot)
   */
  public PromptTemplate(List<TaskItem> shots) {
    this.shots = List.copyOf(shots);
  }

  /** K-shot from the first K items of {@code train}. */
  public static PromptTemplate firstN(List<TaskItem> train, int k) {
    if (k > train.size()) {
      throw new dev.dllm.api.InvalidInputException(
          "--shots " + k + " needs " + k + " train items, the train split has " + train.size());
    }
    return new PromptTemplate(train.subList(0, k));
  }

  /** K. */
  public int shots() {
    return shots.size();
  }

  /** The prompt of {@code item}. */
  public String prompt(TaskItem item) {
    StringBuilder sb = new StringBuilder();
    for (TaskItem s : shots) {
      sb.append("Question: ").append(s.question()).append("\nAnswer: ").append(s.answer());
      sb.append("\n\n");
    }
    sb.append("Question: ").append(item.question()).append("\nAnswer:");
    return sb.toString();
  }

  /** The completion a perfect model writes: {@code " " + answer}. */
  public static String goldCompletion(TaskItem item) {
    return " " + item.answer();
  }

  /** The completion cut before the first of {@link #STOP}. */
  public static String cut(String completion) {
    int end = completion.length();
    for (String s : STOP) {
      int at = completion.indexOf(s);
      if (at >= 0 && at < end) {
        end = at;
      }
    }
    return completion.substring(0, end);
  }

  /** The template as written to reports. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("item", ITEM);
    m.put("shot", "Question: {question}\nAnswer: {answer}");
    m.put("shot_delimiter", "\n\n");
    m.put("shots", shots.size());
    m.put("shot_source", "the first K items of the train split (lm-eval sampler first_n)");
    m.put("target", " {answer}");
    m.put("stop", STOP);
    m.put("source", "lm-eval-harness tasks/gsm8k/gsm8k.yaml");
    return m;
  }
}

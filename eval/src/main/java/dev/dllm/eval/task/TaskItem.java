package dev.dllm.eval.task;

/**
 * One item of a GSM8K-format task: a question and its worked answer ending in {@code #### n}.
 *
 * @param question the question text
 * @param answer the worked answer, with {@code <<a+b=c>>} calculator annotations and the final
 *     {@code #### n}
 */
public record TaskItem(String question, String answer) {

  /** The gold number: the text after the answer's last {@code #### }, normalised; or null. */
  public String gold() {
    return AnswerExtractor.gold(answer);
  }
}

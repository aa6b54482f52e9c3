package dev.dllm.data.sft;

/**
 * One supervised fine-tuning example: the prompt the model is given and the response it learns to
 * produce, with where it came from (for error messages and skip reports).
 *
 * @param prompt the prompt text, after the record's template ({@link SftPairs#GSM8K_PROMPT} for a
 *     GSM8K record, as given for a {@code prompt}/{@code response} record)
 * @param response the response text, after the template
 * @param line 1-based line of the record in its file
 * @param format {@link SftPairs#FORMAT_PAIRS} or {@link SftPairs#FORMAT_GSM8K}
 */
public record SftPair(String prompt, String response, int line, String format) {

  /** The field the prompt came from ({@code prompt} or {@code question}), for messages. */
  public String promptField() {
    return format.equals(SftPairs.FORMAT_GSM8K) ? "question" : "prompt";
  }

  /** The field the response came from ({@code response} or {@code answer}), for messages. */
  public String responseField() {
    return format.equals(SftPairs.FORMAT_GSM8K) ? "answer" : "response";
  }
}

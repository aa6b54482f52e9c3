package dev.dllm.eval.task;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two answer filters of lm-eval-harness's {@code gsm8k} task ({@code
 * lm_eval/tasks/gsm8k/gsm8k.yaml}) and its numeric comparison:
 *
 * <ul>
 *   <li><b>strict-match</b>: the first match of {@code #### (\-?[0-9\.\,]+)}, its group;
 *   <li><b>flexible-extract</b>: the last match of {@code (-?[$0-9.,]{2,})|(-?[0-9]+)}, the group
 *       that matched.
 * </ul>
 *
 * Both the extracted string and the gold answer (the text after the gold's last {@code #### }) are
 * normalised as lm-eval's {@code exact_match} with {@code regexes_to_ignore: [",", "\\$",
 * "(?s).*#### ", "\\.$"]} does: commas and dollar signs removed, a trailing period removed. Then,
 * unlike lm-eval's string comparison, the two are compared as decimal numbers ({@code 18} = {@code
 * 18.00} = {@code 018}); a string that is not a number after normalisation never counts as correct.
 */
public final class AnswerExtractor {
  private AnswerExtractor() {}

  /** lm-eval's strict-match regex. */
  public static final Pattern STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");

  /** lm-eval's flexible-extract regex. */
  public static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");

  /** The strict answer of {@code text} (normalised), or null when there is no {@code ####}. */
  public static String strict(String text) {
    Matcher m = STRICT.matcher(text);
    return m.find() ? normalize(m.group(1)) : null;
  }

  /** The flexible answer of {@code text} (normalised): its last number-like match, or null. */
  public static String flexible(String text) {
    Matcher m = FLEXIBLE.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group(1) != null ? m.group(1) : m.group(2);
    }
    return last == null ? null : normalize(last);
  }

  /**
   * The gold answer of a GSM8K-format worked answer: the text after its last {@code #### },
   * normalised; null when it has none.
   */
  public static String gold(String answer) {
    int at = answer.lastIndexOf("#### ");
    return at < 0 ? null : normalize(answer.substring(at + 5).trim());
  }

  /** Commas and {@code $} removed, whitespace trimmed, one trailing period removed. */
  public static String normalize(String s) {
    String t = s.replace(",", "").replace("$", "").trim();
    if (t.endsWith(".")) {
      t = t.substring(0, t.length() - 1);
    }
    return t;
  }

  /** {@code s} (normalised) as a decimal number, or null when it is not one. */
  public static BigDecimal number(String s) {
    if (s == null) {
      return null;
    }
    String t = normalize(s);
    if (t.isEmpty()) {
      return null;
    }
    try {
      return new BigDecimal(t);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Whether both are numbers and numerically equal. */
  public static boolean matches(String predicted, String gold) {
    BigDecimal p = number(predicted);
    BigDecimal g = number(gold);
    return p != null && g != null && p.compareTo(g) == 0;
  }
}

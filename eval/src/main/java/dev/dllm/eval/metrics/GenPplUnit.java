package dev.dllm.eval.metrics;

import dev.dllm.api.tokenize.Tokenizer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The unit a gen PPL is measured in, said next to the number wherever one is printed ({@code eval},
 * {@code pareto}, {@code prompt-eval}, {@code score}, {@code demo}).
 *
 * <p>Gen PPL is exp(Σ NLL / Σ scored tokens) with the tokens of the <em>scorer's</em> tokenizer
 * ({@link GenerativePerplexity}). When the judged model has the same tokenizer (equal spec and
 * state) the samples' ids are scored as they are and the number is per token of the model's own
 * tokenizer. Otherwise the samples are decoded and re-encoded ({@link Retokenizer}): the number is
 * per token of the scorer's tokenizer (per <em>character</em> for the bundled {@code char} scorer),
 * not comparable with the model's val PPL or with a gen PPL under a scorer of the model's
 * tokenizer, and characters the scorer cannot encode are dropped (counted, never mapped). This is
 * the rule: the number is never refused, but the console line carries its unit, says "NOT
 * comparable" when the unit is not the model's token, and counts the dropped characters.
 *
 * @param scorerTokenizer spec of the scorer's tokenizer ({@code char}, {@code gpt2}, ...)
 * @param modelTokenizer spec of the judged model's tokenizer, or null when there is no model
 *     (samples from elsewhere, {@code dllm score})
 * @param sameTokenizer whether the samples' ids are scored as they are (no re-tokenisation)
 */
public record GenPplUnit(String scorerTokenizer, String modelTokenizer, boolean sameTokenizer) {

  /** The unit of gen PPL for samples of {@code model} scored by a scorer of {@code scorer}. */
  public static GenPplUnit of(Tokenizer scorer, Tokenizer model) {
    return new GenPplUnit(scorer.spec(), model.spec(), Retokenizer.sameTokenizer(scorer, model));
  }

  /** The unit of gen PPL for text from elsewhere scored by a scorer of {@code scorer}. */
  public static GenPplUnit ofScorer(Tokenizer scorer) {
    return new GenPplUnit(scorer.spec(), null, false);
  }

  /**
   * One token of a tokenizer spec in words: {@code char} a character, {@code byte} a byte, {@code
   * gpt2} a GPT-2 token, {@code hf:PATH}/{@code spm:PATH} a token of that tokenizer.
   */
  public static String tokenWord(String spec) {
    return switch (spec) {
      case "char" -> "character";
      case "byte" -> "byte";
      case "gpt2" -> "GPT-2 token";
      default -> "token";
    };
  }

  /** The unit in words, e.g. "per character of the scorer's char tokenizer". */
  public String unit() {
    if (sameTokenizer) {
      return "per "
          + tokenWord(scorerTokenizer)
          + " of the model's own tokenizer ("
          + scorerTokenizer
          + ", the scorer's too)";
    }
    return "per "
        + tokenWord(scorerTokenizer)
        + " of the scorer's "
        + scorerTokenizer
        + " tokenizer";
  }

  /**
   * The {@link #unit}, and for re-tokenised samples of a model that the number is not in the
   * model's tokens: "per character of the scorer's char tokenizer; NOT comparable to the model's
   * gpt2 tokens (samples re-tokenised)".
   */
  public String label() {
    if (sameTokenizer || modelTokenizer == null) {
      return unit();
    }
    return unit()
        + "; NOT comparable to the model's "
        + modelTokenizer
        + " tokens (samples re-tokenised)";
  }

  /**
   * What the console prints right after a gen PPL: its {@link #label}, and when the samples were
   * re-tokenised how many characters were dropped, e.g. "per character of the scorer's char
   * tokenizer; NOT comparable to the model's gpt2 tokens (samples re-tokenised); 209 characters
   * dropped (not encodable by the scorer)".
   *
   * @param droppedCharacters characters of the decoded samples the scorer could not encode
   */
  public String note(long droppedCharacters) {
    return sameTokenizer ? label() : label() + "; " + dropped(droppedCharacters);
  }

  /** "209 characters dropped (not encodable by the scorer)"; "1 character ..." for one. */
  public static String dropped(long droppedCharacters) {
    return String.format(
        Locale.ROOT,
        "%,d character%s dropped (not encodable by the scorer)",
        droppedCharacters,
        droppedCharacters == 1 ? "" : "s");
  }

  /** The JSON fields: {@code unit}, {@code comparable_to_model_tokens}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("unit", unit());
    m.put("comparable_to_model_tokens", sameTokenizer);
    return m;
  }
}

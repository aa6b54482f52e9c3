package dev.dllm.api.tokenize;

import dev.dllm.api.InvalidInputException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Creates tokenizers from spec strings through the registered {@link TokenizerProvider}s. */
public final class Tokenizers {
  private Tokenizers() {}

  /**
   * A fresh tokenizer for {@code spec}.
   *
   * @param corpusSample text to build a vocabulary from (needed by {@code char}), may be null
   * @throws InvalidInputException for an unknown scheme (the message lists the known ones) or a bad
   *     argument
   */
  public static Tokenizer create(String spec, CharSequence corpusSample) {
    return provider(spec).create(argument(spec), Map.of(), corpusSample);
  }

  /** Recreates a stored tokenizer from its spec and {@link Tokenizer#state()}. */
  public static Tokenizer restore(String spec, Map<String, String> state) {
    return provider(spec).create(argument(spec), state, null);
  }

  /** Registered schemes, sorted. */
  public static java.util.Set<String> schemes() {
    return providers().keySet();
  }

  /**
   * The spec forms of the registered schemes, sorted, for help texts and messages: the scheme
   * alone, or {@code scheme:HINT} when it takes an argument ({@link
   * TokenizerProvider#argumentHint}), e.g. "byte, char, gpt2, hf:PATH, spm:PATH".
   */
  public static String specForms() {
    java.util.List<String> forms = new java.util.ArrayList<>();
    providers()
        .forEach(
            (scheme, p) ->
                forms.add(p.argumentHint().isEmpty() ? scheme : scheme + ":" + p.argumentHint()));
    return String.join(", ", forms);
  }

  private static TokenizerProvider provider(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new InvalidInputException("tokenizer spec is empty; expected one of " + schemes());
    }
    int colon = spec.indexOf(':');
    String scheme = colon < 0 ? spec : spec.substring(0, colon);
    TokenizerProvider p = providers().get(scheme);
    if (p == null) {
      throw new InvalidInputException(
          "unknown tokenizer '"
              + spec
              + "'; expected one of "
              + String.join(", ", schemes())
              + " (hf and spm take a path: hf:PATH, spm:PATH)");
    }
    return p;
  }

  private static String argument(String spec) {
    int colon = spec.indexOf(':');
    return colon < 0 ? "" : spec.substring(colon + 1);
  }

  private static Map<String, TokenizerProvider> providers() {
    Map<String, TokenizerProvider> map = new TreeMap<>();
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    for (TokenizerProvider p :
        ServiceLoader.load(
            TokenizerProvider.class, cl != null ? cl : Tokenizers.class.getClassLoader())) {
      map.putIfAbsent(p.scheme(), p);
    }
    return map;
  }
}

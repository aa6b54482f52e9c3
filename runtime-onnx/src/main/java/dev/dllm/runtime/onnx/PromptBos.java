package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import java.util.Locale;

/**
 * Whether a prompt is preceded by the tokenizer's BOS, the one rule that {@link DllmGenerator}
 * ({@code dllm sample}), {@code dllm task-eval} (both through {@link PromptLayout}) and {@code dllm
 * prompt-eval} ({@code ModelSampler.drawConditional}) share.
 *
 * <p>A model trained in {@code wrap} block mode saw every training row start with BOS ([BOS] + L −
 * 2 tokens + [EOS]), so a prompt at position 0 without it is out of distribution; a model trained
 * in {@code pack} or {@code window} mode never saw BOS at position 0 (spec quirk 14), so its prompt
 * stays at position 0. Automatically ({@code override} null) the BOS is therefore prepended exactly
 * when the export records {@link ExportMetadata#blockMode()} {@code wrap} and the tokenizer has a
 * BOS id; an export that does not record its block mode (written before it was recorded) counts as
 * unknown and gets no BOS, as before. {@code true} or {@code false} force it either way.
 */
public final class PromptBos {
  private PromptBos() {}

  /**
   * The BOS id to put before every prompt (and infill prefix) of {@code metadata}'s model, or −1
   * for none.
   *
   * @param override null for the automatic rule, true to always prepend BOS, false never to
   * @throws InvalidInputException when BOS is forced and the tokenizer has no BOS id
   */
  public static int id(ExportMetadata metadata, Boolean override) {
    int bos = metadata.specials().bos();
    if (override == null) {
      return "wrap".equals(metadata.blockMode()) && bos >= 0 ? bos : -1;
    }
    if (!override) {
      return -1;
    }
    if (bos < 0) {
      throw new InvalidInputException(
          "a BOS before the prompt was asked for, but the model's tokenizer ("
              + metadata.tokenizerSpec()
              + ") has no BOS id");
    }
    return bos;
  }

  /** {@code prompt} after {@code bos}, or {@code prompt} itself when {@code bos} is negative. */
  public static int[] prepend(int bos, int[] prompt) {
    if (bos < 0) {
      return prompt;
    }
    int[] out = new int[prompt.length + 1];
    out[0] = bos;
    System.arraycopy(prompt, 0, out, 1, prompt.length);
    return out;
  }

  /**
   * Parses {@code auto}, {@code true} or {@code false} (any case) into null, true or false.
   *
   * @param what names the option in the message, e.g. {@code --bos}
   * @throws InvalidInputException for anything else
   */
  public static Boolean parse(String value, String what) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "auto" -> null;
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default ->
          throw new InvalidInputException(
              what + " must be auto, true or false, got '" + value + "'");
    };
  }

  /** The option's text: {@code auto}, {@code true} or {@code false}. */
  public static String describe(Boolean override) {
    return override == null ? "auto" : override.toString();
  }
}

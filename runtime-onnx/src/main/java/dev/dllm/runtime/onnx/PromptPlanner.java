package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The prompt layout of a conditioned {@link DllmGenerator#generate} request: each sample's prompt
 * encoded (with the BOS {@link PromptBos} asks for), its row of given ids built and its prompt and
 * span checked against the model's capacity, before any network call.
 */
final class PromptPlanner {
  private final OnnxModel model;
  private final Tokenizer tokenizer;

  /**
   * @param model the opened export (metadata, family)
   * @param tokenizer its tokenizer, which encodes the prompts
   */
  PromptPlanner(OnnxModel model, Tokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /**
   * One conditioned sample before sampling.
   *
   * @param given the row's given ids ({@link Conditioning#FREE} at free positions): for a
   *     prefix-only sampler the prompt alone (the batch pads it with free positions), otherwise the
   *     whole row
   * @param prompt P, the tokens before the span
   * @param span the span's length (new tokens)
   * @param rowLength the row this sample needs: P + span for a prefix-only sampler, else the row
   */
  record Planned(int[] given, int prompt, int span, int rowLength) {}

  /** Encodes and sizes every sample's request (distinct requests are encoded once). */
  List<Planned> plan(GenerateOptions options, Sampler sampler, int length) {
    int n = options.number();
    boolean prefixOnly = !sampler.supportsInfill();
    SpecialTokens specials = model.metadata().specials();
    int row = prefixOnly ? length : sampler.outputLength(length);
    int tail = specials.eos() >= 0 ? specials.eos() : specials.pad();
    int lead = PromptBos.id(model.metadata(), options.bos());
    java.util.Map<Prompt, Planned> seen = new java.util.HashMap<>();
    List<Planned> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Prompt p = options.prompt(i);
      Planned planned = seen.get(p);
      if (planned == null) {
        String what = options.prompts().size() > 1 ? "prompt of sample " + i : "prompt";
        planned = plan(p, what, options, prefixOnly, length, row, tail, lead);
        seen.put(p, planned);
      }
      out.add(planned);
    }
    return out;
  }

  private Planned plan(
      Prompt p,
      String what,
      GenerateOptions options,
      boolean prefixOnly,
      int length,
      int row,
      int tail,
      int lead) {
    int maxNew = options.maxNewTokens();
    if (p.isInfill() && prefixOnly) {
      throw new InvalidInputException(
          what
              + ": family "
              + model.family().name()
              + " only continues a prompt prefix; a suffix (fill-in-the-middle) needs a family"
              + " whose sampler supports infilling");
    }
    int[] prefix =
        PromptEncoder.encode(tokenizer, p.prefix(), p.isInfill() ? what + " prefix" : what);
    int[] suffix = PromptEncoder.encode(tokenizer, p.suffix(), what + " suffix");
    int bos = model.metadata().specials().bos();
    int text = prefix.length;
    if (lead >= 0) {
      prefix = PromptBos.prepend(lead, prefix);
    } else if (prefixOnly && prefix.length == 0 && bos >= 0) {
      prefix = new int[] {bos};
    }
    int given = prefix.length + suffix.length;
    int cap = prefixOnly ? length : row;
    String of =
        (text == 0 && prefix.length == 1
                ? "the BOS token"
                : (prefix.length > text ? "the BOS token and " : "")
                    + text
                    + (text == 1 ? " prompt token" : " prompt tokens"))
            + (suffix.length > 0 ? " and " + suffix.length + " suffix tokens" : "");
    if (given >= cap) {
      throw new InvalidInputException(
          String.format(
              "%s is too long: %s leave no position to generate in %s",
              what, of, capacity(prefixOnly, length, row)));
    }
    int wanted = p.length() > 0 ? p.length() : maxNew;
    int span = wanted > 0 ? wanted : cap - given;
    if (given + span > cap) {
      throw new InvalidInputException(
          String.format(
              "%s%s is beyond capacity: after %s, at most %d fit in %s",
              options.prompts().isEmpty() ? "" : what + ": ",
              p.length() > 0 ? "a gap of " + span + " tokens" : "max new tokens " + span,
              of,
              cap - given,
              capacity(prefixOnly, length, row)));
    }
    if (prefixOnly) {
      return new Planned(prefix, prefix.length, span, prefix.length + span);
    }
    int rowLength = tail >= 0 ? row : given + span;
    int[] ids = new int[rowLength];
    Arrays.fill(ids, tail);
    System.arraycopy(prefix, 0, ids, 0, prefix.length);
    Arrays.fill(ids, prefix.length, prefix.length + span, Conditioning.FREE);
    System.arraycopy(suffix, 0, ids, prefix.length + span, suffix.length);
    return new Planned(ids, prefix.length, span, rowLength);
  }

  private static String capacity(boolean prefixOnly, int length, int row) {
    return prefixOnly || row == length
        ? "the model's length L = " + length
        : "the row of " + row + " tokens (L = " + length + " plus the semi-autoregressive strides)";
  }
}

package dev.dllm.runtime.onnx;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompts of a conditioned {@link DllmGenerator#generate} request: each sample's prompt encoded
 * (with the BOS {@link PromptBos} asks for), its prompt and span checked against the model's
 * capacity and its row of given ids laid out by {@link PromptLayout}, before any network call.
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

  /** Encodes and sizes every sample's request (distinct requests are encoded once). */
  List<PromptLayout.Row> plan(GenerateOptions options, Sampler sampler, int length) {
    int n = options.number();
    SpecialTokens specials = model.metadata().specials();
    PromptLayout layout =
        PromptLayout.of(sampler, length, specials, PromptBos.id(model.metadata(), options.bos()));
    java.util.Map<Prompt, PromptLayout.Row> seen = new java.util.HashMap<>();
    List<PromptLayout.Row> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Prompt p = options.prompt(i);
      PromptLayout.Row planned = seen.get(p);
      if (planned == null) {
        String what = options.prompts().size() > 1 ? "prompt of sample " + i : "prompt";
        planned = plan(p, what, options, layout);
        seen.put(p, planned);
      }
      out.add(planned);
    }
    return out;
  }

  private PromptLayout.Row plan(
      Prompt p, String what, GenerateOptions options, PromptLayout layout) {
    boolean prefixOnly = layout.prefixOnly();
    int length = layout.block();
    int row = layout.capacity();
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
    int text = prefix.length;
    prefix = layout.prompt(prefix);
    int given = prefix.length + suffix.length;
    int cap = row;
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
    return layout.row(prefix, suffix, span);
  }

  private static String capacity(boolean prefixOnly, int length, int row) {
    return prefixOnly || row == length
        ? "the model's length L = " + length
        : "the row of " + row + " tokens (L = " + length + " plus the semi-autoregressive strides)";
  }
}

package dev.dllm.eval.metrics;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.tokenize.Tokenizer;

/**
 * The AR scorer that {@link GenerativePerplexity} and {@link ConditionalGenPerplexity} run, with
 * the parts the two share: the scorer's checks, the BOS in front of a scored row, and NLL per
 * scored token.
 *
 * @param net the AR scorer's network (e.g. an ONNX export)
 * @param family its family; must have a causal backbone
 * @param tokenizer its tokenizer
 * @param context its context N (its training sequence length), &gt;= 2
 * @param batch rows per forward pass, &gt;= 1
 */
record ArScorer(Denoiser net, DiffusionFamily family, Tokenizer tokenizer, int context, int batch) {
  /**
   * @throws InvalidInputException when the scorer family is not causal
   * @throws IllegalArgumentException when context &lt; 2 or batch &lt; 1
   */
  ArScorer {
    if (family.backbone().attention() != BackboneSpec.Attention.CAUSAL) {
      throw new InvalidInputException(
          "the scorer must be an autoregressive export (causal backbone); got family '"
              + family.name()
              + "'");
    }
    if (context < 2 || batch < 1) {
      throw new IllegalArgumentException("context must be >= 2 and batch >= 1");
    }
  }

  /**
   * {@code ids} with {@code bos} in front, unless there is no BOS (&lt; 0) or it starts with it.
   */
  static int[] withBos(int[] ids, int bos) {
    if (bos < 0 || (ids.length > 0 && ids[0] == bos)) {
      return ids;
    }
    int[] out = new int[ids.length + 1];
    out[0] = bos;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /** NLL per scored token in nats; NaN when no token was scored. */
  static double natsPerToken(double nll, long scoredTokens) {
    return scoredTokens == 0 ? Double.NaN : nll / scoredTokens;
  }
}

package dev.dllm.api.sample;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import java.util.Locale;
import java.util.Set;

/**
 * Confidence-threshold parallel decoding (Fast-dLLM, Wu et al. 2025, NVlabs/Fast-dLLM {@code
 * llada/generate.py} {@code get_transfer_index} with {@code threshold}; SGLang's {@code
 * low_confidence}), the family-agnostic part shared by MDLM's and Duo's {@code
 * predictor=confidence}: its options, the commit rule ({@link #select}) and the proposal at one
 * position ({@link #propose}). The blocks and the step budget of one row are {@link
 * ConfidenceBlocks}.
 *
 * <p>The rule: rows are decoded block by block, left to right; at each step every position of the
 * current block that is not yet committed proposes a token, with a confidence (below); the most
 * confident proposal is always committed, and so is every other one whose confidence is ≥ τ. To
 * keep the step budget T of {@link SamplerSpec#steps()} an upper bound on the NFE, a step also
 * commits at least ⌈n / s⌉ proposals (n positions still open in the block, s the block's steps
 * left; {@link ConfidenceBlocks#minCommits}), the most confident first: with T at least the free
 * positions this never binds before the block's last step, and the rule is Fast-dLLM's exactly.
 *
 * <p>Options ({@link SamplerSpec#options()}): {@code threshold} τ in (0, 1] (default {@value
 * #DEFAULT_THRESHOLD}, Fast-dLLM's), {@code block_length} in positions (default {@value
 * #DEFAULT_BLOCK_LENGTH}, Fast-dLLM's LLaDA setting) and {@code proposal}: {@code sample} (default:
 * a float64 Gumbel-max draw from p = softmax(logits) with the mask id excluded, optionally top-p
 * filtered: Fast-dLLM's temperature 1, needed for unconditional samples, which are otherwise all
 * the same row) or {@code argmax} (Fast-dLLM's temperature 0).
 *
 * <p>The confidence of a position is max_v p(v), the probability of its argmax, for both proposals.
 * With {@code argmax} that is Fast-dLLM's p(proposal) exactly. With {@code sample} it differs on
 * purpose: ranking by p(drawn token), as the reference does at temperature 1, prefers the positions
 * whose draw happened to land on a likely token, so the committed tokens are biased towards the
 * mode (measured on MDLM {@code xs}, τ 0.9, block 32, T 256: gen PPL 10.7 at entropy 2.44 nats, far
 * below the text's; collapsed). Ranking by max_v p(v) decides which positions commit from z_t
 * alone, before the draw, so every committed token is an unbiased draw from p at its position; with
 * one token per step and an exact denoiser the sampler is then an exact any-order sampler.
 *
 * @param threshold τ: proposals with confidence ≥ τ are committed
 * @param blockLength positions per block
 * @param argmax whether the proposal is the argmax instead of a draw
 */
public record ConfidenceDecoding(double threshold, int blockLength, boolean argmax) {

  /** Fast-dLLM's default threshold. */
  public static final double DEFAULT_THRESHOLD = 0.9;

  /** Fast-dLLM's block length for LLaDA at generation length 256. */
  public static final int DEFAULT_BLOCK_LENGTH = 32;

  /** The option keys this record reads. */
  public static final Set<String> KEYS = Set.of("threshold", "block_length", "proposal");

  /**
   * Checks the values.
   *
   * @throws InvalidInputException unless 0 &lt; τ &lt;= 1 and block length &gt;= 1
   */
  public ConfidenceDecoding {
    if (!(threshold > 0 && threshold <= 1)) {
      throw new InvalidInputException(
          "sampler option threshold must be in (0, 1], got " + threshold);
    }
    if (blockLength < 1) {
      throw new InvalidInputException(
          "sampler option block_length must be an integer >= 1, got " + blockLength);
    }
  }

  /**
   * Reads {@code threshold}, {@code block_length} and {@code proposal} from {@code spec} (the
   * others are the family's business).
   *
   * @throws InvalidInputException for a value that is not a number in range or an unknown proposal
   */
  public static ConfidenceDecoding parse(SamplerSpec spec) {
    String t = spec.option("threshold", Double.toString(DEFAULT_THRESHOLD)).trim();
    double threshold;
    try {
      threshold = Double.parseDouble(t);
    } catch (NumberFormatException e) {
      threshold = Double.NaN; // refused by the constructor, naming the option
    }
    if (!(threshold > 0 && threshold <= 1)) {
      throw new InvalidInputException(
          "sampler option threshold must be a number in (0, 1], got " + t);
    }
    String b = spec.option("block_length", Integer.toString(DEFAULT_BLOCK_LENGTH)).trim();
    int block;
    try {
      block = Integer.parseInt(b);
    } catch (NumberFormatException e) {
      block = 0;
    }
    if (block < 1) {
      throw new InvalidInputException(
          "sampler option block_length must be an integer >= 1, got " + b);
    }
    String p = spec.option("proposal", "sample").trim().toLowerCase(Locale.ROOT);
    if (!p.equals("sample") && !p.equals("argmax")) {
      throw new InvalidInputException("sampler option proposal must be sample or argmax, got " + p);
    }
    return new ConfidenceDecoding(threshold, block, p.equals("argmax"));
  }

  /** Whether {@code spec} sets one of {@link #KEYS}. */
  public static boolean mentioned(SamplerSpec spec) {
    for (String k : KEYS) {
      if (spec.options().containsKey(k)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The commit rule of one step on the n open positions of the current block: sorts {@code order[0
   * .. n)} (candidate indices, in position order on entry) by confidence, highest first (ties: the
   * earlier position first), and returns k, the number of leading entries of {@code order} to
   * commit: k = max(min(n, max(1, minCount)), #{i : confidence[i] ≥ τ}). So the top-1 is always
   * committed, every proposal ≥ τ too, and at least {@code minCount}.
   *
   * @param confidence {@code [n]} confidences of the candidates, in [0, 1]
   * @param n candidates (0 gives k = 0)
   * @param minCount the fewest commits the step budget allows ({@link ConfidenceBlocks#minCommits})
   * @param order {@code [>= n]}: on entry 0 .. n−1, on return sorted by confidence
   * @return k, in [min(n, 1), n]
   */
  public int select(double[] confidence, int n, int minCount, int[] order) {
    // insertion sort: n <= block length, and stable (the earlier position wins a tie)
    for (int i = 1; i < n; i++) {
      int c = order[i];
      int j = i - 1;
      while (j >= 0 && confidence[order[j]] < confidence[c]) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = c;
    }
    int k = Math.min(n, Math.max(1, minCount));
    while (k < n && confidence[order[k]] >= threshold) {
      k++;
    }
    return k;
  }

  /**
   * The proposal at position (b, l): the argmax or a draw from p = softmax(logits) with the mask id
   * excluded (float64; a draw takes one uniform per vocabulary entry from {@code rng}, in index
   * order, top-p filtered when {@code topP < 1}), and its confidence p(proposal) under the
   * unfiltered softmax.
   *
   * @param mask the excluded id, or negative for none
   * @param buffer scratch of length &gt;= V
   * @param confidence receives p(proposal) at index 0
   * @return the proposed id
   */
  public int propose(
      Logits logits,
      int b,
      int l,
      int mask,
      double topP,
      Rng rng,
      double[] buffer,
      double[] confidence) {
    int vocab = logits.vocab();
    int offset = logits.offset(b, l);
    float[] z = logits.values();
    int top = MaskedSoftmax.argmax(z, offset, vocab, mask);
    confidence[0] = Math.exp(MaskedSoftmax.logProb(z, offset, vocab, mask, top));
    if (argmax) {
      return top;
    }
    int v;
    if (topP >= 1) {
      v = Categorical.sampleLogits(z, offset, vocab, mask, rng, buffer);
    } else {
      MaskedSoftmax.softmax(z, offset, vocab, mask, buffer);
      TopP.apply(buffer, 0, vocab, topP);
      v = Categorical.sample(buffer, 0, vocab, rng);
    }
    return v;
  }
}

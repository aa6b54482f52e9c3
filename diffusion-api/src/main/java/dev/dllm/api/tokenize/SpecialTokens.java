package dev.dllm.api.tokenize;

/**
 * Special token ids of a tokenizer; -1 where absent. The mask id is wherever the tokenizer puts it:
 * never assume V - 1 (spec §1.1).
 */
public record SpecialTokens(int bos, int eos, int pad, int mask) {
  public static final int ABSENT = -1;

  public boolean hasMask() {
    return mask >= 0;
  }
}

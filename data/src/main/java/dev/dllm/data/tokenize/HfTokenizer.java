package dev.dllm.data.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A local Hugging Face {@code tokenizer.json} through DJL's tokenizers binding (spec {@code
 * hf:PATH}), with {@code addSpecialTokens=false, padding=false, truncation=false} (ecosystem.md
 * §4). MASK is the file's own mask token if it has one, otherwise appended at the file's vocabulary
 * size (spec §1.1, [SD] {@code TrainerBase.__init__}).
 *
 * <p>Only reachable through {@link HfTokenizerProvider}, which checks that DJL is present.
 */
final class HfTokenizer implements Tokenizer {
  private final String spec;
  private final HuggingFaceTokenizer hf;
  private final SpecialTokens specials;
  private final int vocabSize;
  private final int baseVocab;

  HfTokenizer(String spec, Path file) {
    this.spec = spec;
    HfTokenizerJson json = HfTokenizerJson.read(file);
    try {
      this.hf =
          HuggingFaceTokenizer.newInstance(
              file, Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false"));
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot load HF tokenizer " + file + ": " + e, e);
    }
    this.baseVocab = json.baseVocab();
    int mask = json.mask() >= 0 ? json.mask() : baseVocab;
    this.vocabSize = json.mask() >= 0 ? baseVocab : baseVocab + 1;
    this.specials = new SpecialTokens(json.bos(), json.eos(), json.pad(), mask);
  }

  @Override
  public String spec() {
    return spec;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = hf.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * @throws IllegalArgumentException for an id outside [0, V)
   */
  @Override
  public String decode(int[] ids) {
    long[] kept = new long[ids.length];
    int n = 0;
    for (int id : ids) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException("token id " + id + " outside [0, " + vocabSize + ")");
      }
      if (id != specials.bos()
          && id != specials.eos()
          && id != specials.pad()
          && id != specials.mask()) {
        kept[n++] = id;
      }
    }
    return n == 0 ? "" : hf.decode(java.util.Arrays.copyOf(kept, n), false);
  }
}

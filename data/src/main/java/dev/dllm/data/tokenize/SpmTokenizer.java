package dev.dllm.data.tokenize;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A local SentencePiece {@code .model} through {@code ai.djl.sentencepiece} (spec {@code
 * spm:PATH}), e.g. the Llama-2 / TinyLlama model of the paper's SlimPajama runs: BOS and EOS come
 * from the model (1 and 2 for Llama), MASK is appended at the piece count (32000), so V = 32001
 * (spec §1.1, [SD] dataloader.py {@code TinyLLamaTokenizer}). {@link #encode} adds no BOS/EOS.
 *
 * <p>Only reachable through {@link SpmTokenizerProvider}, which checks that DJL is present.
 */
final class SpmTokenizer implements Tokenizer, ContinuationEncoder {
  private final String spec;
  private final SpProcessor processor;
  private final SentencePieceModel model;
  private final SpecialTokens specials;
  private final boolean[] dropOnDecode;
  private final int[] newlineIds;

  SpmTokenizer(String spec, Path file) {
    this.spec = spec;
    this.model = SentencePieceModel.read(file);
    try {
      @SuppressWarnings("resource") // lives as long as this tokenizer
      SpTokenizer tokenizer = new SpTokenizer(file);
      this.processor = tokenizer.getProcessor();
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("cannot load SentencePiece model " + file + ": " + e, e);
    }
    int n = model.size();
    this.specials = new SpecialTokens(model.bosId(), model.eosId(), model.padId(), n);
    this.dropOnDecode = new boolean[n + 1];
    for (int id : new int[] {model.bosId(), model.eosId(), model.padId(), n}) {
      if (id >= 0) {
        dropOnDecode[id] = true;
      }
    }
    boolean newlineInPieces = model.pieces().stream().anyMatch(p -> p.piece().indexOf('\n') >= 0);
    this.newlineIds = newlineInPieces ? null : processor.encode("\n");
  }

  @Override
  public String spec() {
    return spec;
  }

  @Override
  public int vocabSize() {
    return model.size() + 1;
  }

  @Override
  public SpecialTokens specials() {
    return specials;
  }

  /** The parsed model (pieces, scores, types). */
  SentencePieceModel model() {
    return model;
  }

  @Override
  public int[] encode(String text) {
    if (text.isEmpty()) {
      return new int[0];
    }
    return processor.encode(text);
  }

  /**
   * SentencePiece prepends a dummy-prefix space to every encoded text, so a piece of a document
   * encoded on its own would start with a spurious "▁". Encodes "\n" + text instead and removes the
   * ids of "\n" alone; exact when no piece contains '\n' (true for Llama-2, where '\n' is a
   * byte-fallback token), otherwise falls back to {@link #encode}.
   */
  @Override
  public int[] encodeContinuation(String text) {
    if (text.isEmpty()) {
      return new int[0];
    }
    int[] prefix = newlineIds;
    int[] all = processor.encode("\n" + text);
    if (prefix != null
        && all.length >= prefix.length
        && Arrays.equals(all, 0, prefix.length, prefix, 0, prefix.length)) {
      return Arrays.copyOfRange(all, prefix.length, all.length);
    }
    return encode(text);
  }

  /**
   * @throws IllegalArgumentException for an id outside [0, V)
   */
  @Override
  public String decode(int[] ids) {
    int[] kept = new int[ids.length];
    int n = 0;
    for (int id : ids) {
      if (id < 0 || id >= dropOnDecode.length) {
        throw new IllegalArgumentException("token id " + id + " outside [0, " + vocabSize() + ")");
      }
      if (!dropOnDecode[id]) {
        kept[n++] = id;
      }
    }
    return n == 0 ? "" : processor.decode(n == kept.length ? kept : Arrays.copyOf(kept, n));
  }
}

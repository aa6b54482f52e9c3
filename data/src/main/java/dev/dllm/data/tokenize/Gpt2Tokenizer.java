package dev.dllm.data.tokenize;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;

/**
 * GPT-2 BPE (spec {@code gpt2}) through JTokkit's {@code r50k_base}, which is byte-identical to
 * OpenAI's GPT-2 encoder. Text is encoded with {@code encodeOrdinary} (a literal {@code
 * <|endoftext|>} in the text is ordinary text). {@code <|endoftext|>} = 50256 is BOS and EOS; MASK
 * is appended at 50257, so V = 50258 (spec §1.1, [DUO] {@code AbsorbingState}). No PAD.
 */
public final class Gpt2Tokenizer implements Tokenizer {

  /** {@code <|endoftext|>}. */
  public static final int END_OF_TEXT = 50256;

  /** The appended mask id. */
  public static final int MASK = 50257;

  private static final SpecialTokens SPECIALS =
      new SpecialTokens(END_OF_TEXT, END_OF_TEXT, SpecialTokens.ABSENT, MASK);

  private static final class Holder {
    static final Encoding R50K =
        Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
  }

  @Override
  public String spec() {
    return "gpt2";
  }

  @Override
  public int vocabSize() {
    return MASK + 1;
  }

  @Override
  public SpecialTokens specials() {
    return SPECIALS;
  }

  @Override
  public int[] encode(String text) {
    return Holder.R50K.encodeOrdinary(text).toArray();
  }

  /**
   * @throws IllegalArgumentException for an id outside [0, 50258)
   */
  @Override
  public String decode(int[] ids) {
    IntArrayList list = new IntArrayList(ids.length);
    for (int id : ids) {
      if (id >= 0 && id < END_OF_TEXT) {
        list.add(id);
      } else if (id < 0 || id > MASK) {
        throw new IllegalArgumentException("token id " + id + " outside [0, " + vocabSize() + ")");
      }
    }
    return Holder.R50K.decode(list);
  }
}

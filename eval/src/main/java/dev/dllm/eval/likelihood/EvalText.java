package dev.dllm.eval.likelihood;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.metrics.Retokenizer;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole text file prepared for zero-shot likelihood (WikiText-2 {@code wiki.test.tokens}, PTB
 * {@code ptb.test.txt}, or any UTF-8 file): detokenized ({@link Detokenizer}), encoded as one
 * document with the model's tokenizer (its own newlines kept as the line joiner; characters a
 * closed vocabulary lacks are dropped and counted), and cut into rows of L tokens ({@link
 * BlockMode#PACK}: L consecutive tokens; {@link BlockMode#WRAP}: BOS + L − 2 tokens + EOS). The
 * final partial block is kept at its own, shorter length (never padded) when it has at least 2
 * tokens. Every choice is returned in {@link #choices()} for the report.
 *
 * @param rows the rows, each {@code [L_i]}
 * @param streamTokens tokens of the encoded text
 * @param droppedCharacters characters the tokenizer could not encode
 * @param choices file, detokenizer, joiner, block mode, L, row counts (for the report)
 */
public record EvalText(
    List<int[]> rows, long streamTokens, long droppedCharacters, Map<String, Object> choices) {

  /**
   * Reads and prepares {@code file}.
   *
   * @param maxRows keep only the first {@code maxRows} rows (0 = all)
   * @throws InvalidInputException when the file is missing, not UTF-8, or yields no row
   */
  public static EvalText load(
      Path file, Detokenizer detok, Tokenizer tok, int seqLen, BlockMode mode, int maxRows) {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(file);
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidInputException(file + " is not valid UTF-8 text");
    } catch (IOException e) {
      throw new InvalidInputException("cannot read --data " + file + ": " + e.getMessage());
    }
    return of(text, file.toString(), detok, tok, seqLen, mode, maxRows);
  }

  /** Prepares {@code text} (named {@code source} in the choices). */
  public static EvalText of(
      String text,
      String source,
      Detokenizer detok,
      Tokenizer tok,
      int seqLen,
      BlockMode mode,
      int maxRows) {
    Retokenizer.Ids ids = Retokenizer.encodeLenient(tok, detok.apply(text));
    SpecialTokens sp = tok.specials();
    if (mode == BlockMode.WRAP && (sp.bos() < 0 || sp.eos() < 0)) {
      throw new InvalidInputException("wrap blocks need BOS and EOS; the tokenizer has none");
    }
    int payload = mode == BlockMode.WRAP ? seqLen - 2 : seqLen;
    if (payload < 1) {
      throw new InvalidInputException(
          "sequence length " + seqLen + " is too short for " + mode.id());
    }
    int[] s = ids.ids();
    List<int[]> rows = new ArrayList<>();
    int lastLength = 0;
    for (int from = 0;
        from < s.length && (maxRows == 0 || rows.size() < maxRows);
        from += payload) {
      int n = Math.min(payload, s.length - from);
      int[] row = new int[mode == BlockMode.WRAP ? n + 2 : n];
      int off = 0;
      if (mode == BlockMode.WRAP) {
        row[off++] = sp.bos();
        row[row.length - 1] = sp.eos();
      }
      System.arraycopy(s, from, row, off, n);
      if (row.length >= 2) {
        rows.add(row);
        lastLength = row.length;
      }
    }
    if (rows.isEmpty()) {
      throw new InvalidInputException(source + " gives no row of at least 2 tokens");
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("source", source);
    c.put("detokenizer", detok.id());
    c.put("joiner", "the file's own newlines (one document, no EOS inserted)");
    c.put("block_mode", mode.id());
    c.put("seq_len", seqLen);
    c.put("rows", rows.size());
    c.put("last_row_length", lastLength);
    c.put("padding", "none: a shorter last row is run at its own length");
    c.put("max_rows", maxRows);
    c.put("stream_tokens", (long) s.length);
    c.put("dropped_characters", (long) ids.droppedCharacters());
    return new EvalText(rows, s.length, ids.droppedCharacters(), c);
  }
}

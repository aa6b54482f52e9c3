package dev.dllm.eval.likelihood;

import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.corpus.BlockDataset;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.data.corpus.CorpusPipeline;
import dev.dllm.data.corpus.CorpusSource;
import dev.dllm.data.corpus.Newlines;
import dev.dllm.data.corpus.TokenizedCorpus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the evaluation text for {@code dllm eval --data PATH}: a zero-shot file (its detokenizer
 * is not {@code none}: WikiText-2, PTB, or {@code --detokenizer} given) is used whole through
 * {@link EvalText}; any other corpus (and the bundled Tiny Shakespeare when no path is given) is
 * read through the training pipeline and its validation split is used, cut exactly as training cuts
 * it ({@link BlockDataset}), so the number is comparable with the train report's val NLL.
 */
public final class EvalData {
  private EvalData() {}

  /**
   * The rows and the choices made.
   *
   * @param data corpus path, or null for the bundled corpus
   * @param detokenizer {@code auto}, {@code none}, {@code wikitext} or {@code ptb}
   * @param maxRows at most this many rows (0 = all)
   * @throws dev.dllm.api.InvalidInputException for a missing or unreadable corpus, a character the
   *     tokenizer lacks (training-pipeline path), or a corpus shorter than one block
   */
  public static EvalText load(
      Path data, Tokenizer tok, int seqLen, BlockMode mode, String detokenizer, int maxRows) {
    return load(data, tok, seqLen, mode, detokenizer, maxRows, Newlines.DEFAULT);
  }

  /**
   * As {@link #load(Path, Tokenizer, int, BlockMode, String, int)}, reading a corpus (not a
   * zero-shot file) with the given line ends: the ones the model was trained with.
   */
  public static EvalText load(
      Path data,
      Tokenizer tok,
      int seqLen,
      BlockMode mode,
      String detokenizer,
      int maxRows,
      Newlines newlines) {
    Detokenizer d = Detokenizer.parse(detokenizer, data);
    if (data != null && (d != Detokenizer.NONE || !detokenizer.equals("auto"))) {
      if (java.nio.file.Files.isRegularFile(data)) {
        return EvalText.load(data, d, tok, seqLen, mode, maxRows);
      }
    }
    Path p = data != null ? data : BundledCorpus.tinyShakespeare();
    CorpusSource source = CorpusSource.of(p).withNewlines(newlines);
    TokenizedCorpus corpus = new CorpusPipeline().load(source, tok);
    BlockDataset valid = corpus.validBlocks(seqLen, mode);
    int n = maxRows == 0 ? valid.size() : Math.min(maxRows, valid.size());
    List<int[]> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      rows.add(valid.block(i));
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("source", p.toString());
    c.put("split", "validation (" + source.splitRule() + ")");
    c.put("newlines", newlines.id());
    c.put("detokenizer", "none");
    c.put("joiner", "EOS between documents, as in training");
    c.put("block_mode", mode.id());
    c.put("seq_len", seqLen);
    c.put("rows", n);
    c.put("padding", "none: whole blocks only, the remainder is dropped as in training");
    c.put("max_rows", maxRows);
    c.put("stream_tokens", valid.streamTokens());
    c.put("dropped_characters", 0L);
    return new EvalText(rows, valid.streamTokens(), 0, c);
  }
}

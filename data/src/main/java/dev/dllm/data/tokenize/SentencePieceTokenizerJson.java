package dev.dllm.data.tokenize;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a Hugging Face {@code tokenizer.json} that describes the same vocabulary as a
 * SentencePiece <em>BPE</em> model with byte fallback (the Llama-2 / TinyLlama model): a BPE model
 * over the same pieces and ids, normalizer "prepend ▁ + replace ' ' by ▁" (SentencePiece's dummy
 * prefix and whitespace escaping), byte fallback, and the matching decoder.
 *
 * <p>Merges: for every piece p (in id order) and every split p = l + r (at code-point boundaries)
 * with both l and r in the vocabulary, a merge (l, r); the merges of one piece are ordered by (id
 * of l, id of r), and all merges are ordered by the score of p, highest first (stable).
 * SentencePiece BPE merges the adjacent pair whose merged piece has the highest score, so both give
 * the same ids except for ties between different splits of one piece (measured in the tests).
 */
public final class SentencePieceTokenizerJson {
  private static final String SPACE = "\u2581";

  private SentencePieceTokenizerJson() {}

  /**
   * Writes {@code out} atomically.
   *
   * @throws InvalidInputException when the model is not a BPE model
   */
  public static void write(Path spModel, Path out) {
    SentencePieceModel model = SentencePieceModel.read(spModel);
    if (model.modelType() != 2) {
      throw new InvalidInputException(
          spModel + " is not a SentencePiece BPE model (model_type " + model.modelType() + ")");
    }
    List<SentencePieceModel.Piece> pieces = model.pieces();
    Map<String, Integer> vocab = new HashMap<>();
    for (int id = 0; id < pieces.size(); id++) {
      vocab.putIfAbsent(pieces.get(id).piece(), id);
    }
    record Merge(String left, String right, int leftId, int rightId, float score) {}
    List<Merge> merges = new ArrayList<>();
    for (int id = 0; id < pieces.size(); id++) {
      String p = pieces.get(id).piece();
      List<Merge> local = new ArrayList<>();
      for (int i = p.offsetByCodePoints(0, 1); i < p.length(); i = p.offsetByCodePoints(i, 1)) {
        Integer l = vocab.get(p.substring(0, i));
        Integer r = vocab.get(p.substring(i));
        if (l != null && r != null) {
          local.add(new Merge(p.substring(0, i), p.substring(i), l, r, pieces.get(id).score()));
        }
      }
      local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
      merges.addAll(local);
    }
    // stable sort by score, highest first
    List<Merge> sorted = new ArrayList<>(merges);
    sorted.sort((a, b) -> Float.compare(b.score(), a.score()));

    Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      try (JsonGenerator g =
          new ObjectMapper().getFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8)) {
        g.writeStartObject();
        g.writeStringField("version", "1.0");
        g.writeNullField("truncation");
        g.writeNullField("padding");
        // no added_tokens: control pieces (<unk>, <s>, </s>) stay in the model vocabulary only, so
        // a literal "<s>" in text is ordinary text, as in SentencePiece itself
        g.writeArrayFieldStart("added_tokens");
        g.writeEndArray();
        g.writeObjectFieldStart("normalizer");
        g.writeStringField("type", "Sequence");
        g.writeArrayFieldStart("normalizers");
        if (model.addDummyPrefix()) {
          g.writeStartObject();
          g.writeStringField("type", "Prepend");
          g.writeStringField("prepend", SPACE);
          g.writeEndObject();
        }
        g.writeStartObject();
        g.writeStringField("type", "Replace");
        g.writeObjectFieldStart("pattern");
        g.writeStringField("String", " ");
        g.writeEndObject();
        g.writeStringField("content", SPACE);
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
        g.writeNullField("pre_tokenizer");
        g.writeNullField("post_processor");
        g.writeObjectFieldStart("decoder");
        g.writeStringField("type", "Sequence");
        g.writeArrayFieldStart("decoders");
        g.writeStartObject();
        g.writeStringField("type", "Replace");
        g.writeObjectFieldStart("pattern");
        g.writeStringField("String", SPACE);
        g.writeEndObject();
        g.writeStringField("content", " ");
        g.writeEndObject();
        g.writeStartObject();
        g.writeStringField("type", "ByteFallback");
        g.writeEndObject();
        g.writeStartObject();
        g.writeStringField("type", "Fuse");
        g.writeEndObject();
        if (model.addDummyPrefix()) {
          g.writeStartObject();
          g.writeStringField("type", "Strip");
          g.writeStringField("content", " ");
          g.writeNumberField("start", 1);
          g.writeNumberField("stop", 0);
          g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeObjectFieldStart("model");
        g.writeStringField("type", "BPE");
        g.writeNullField("dropout");
        g.writeStringField("unk_token", pieces.get(model.unkId()).piece());
        g.writeNullField("continuing_subword_prefix");
        g.writeNullField("end_of_word_suffix");
        g.writeBooleanField("fuse_unk", true);
        g.writeBooleanField("byte_fallback", model.byteFallback());
        g.writeObjectFieldStart("vocab");
        for (int id = 0; id < pieces.size(); id++) {
          g.writeNumberField(pieces.get(id).piece(), id);
        }
        g.writeEndObject();
        g.writeArrayFieldStart("merges");
        for (Merge m : sorted) {
          g.writeString(m.left() + " " + m.right());
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new InvalidInputException("cannot write " + out + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}

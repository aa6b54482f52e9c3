package dev.dllm.data.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * What dllm needs from a Hugging Face {@code tokenizer.json}, read with Jackson: the vocabulary
 * size (largest id + 1 over the model vocabulary and the added tokens) and the special ids, found
 * by the usual names of added/vocabulary tokens ({@code <s>}, {@code </s>}, {@code <|endoftext|>},
 * {@code [CLS]}, {@code [SEP]}, {@code <pad>}, {@code [MASK]}, {@code <mask>}, ...).
 *
 * @param baseVocab largest id + 1 in the file
 * @param bos BOS id or -1
 * @param eos EOS id or -1
 * @param pad PAD id or -1
 * @param mask the file's own mask id or -1
 */
record HfTokenizerJson(int baseVocab, int bos, int eos, int pad, int mask) {
  private static final Set<String> BOS =
      Set.of("<s>", "<|begin_of_text|>", "<|endoftext|>", "[CLS]", "<bos>", "<BOS>");
  private static final Set<String> EOS =
      Set.of("</s>", "<|end_of_text|>", "<|endoftext|>", "[SEP]", "<eos>", "<EOS>");
  private static final Set<String> PAD = Set.of("<pad>", "[PAD]", "<|pad|>", "<PAD>");
  private static final Set<String> MASK = Set.of("[MASK]", "<mask>", "<|mask|>", "<MASK>");

  static HfTokenizerJson read(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new InvalidInputException(
          "cannot read HF tokenizer file " + file + ": " + e.getMessage(), e);
    }
    Map<String, Integer> named = new HashMap<>();
    int max = -1;
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        int id = e.getValue().asInt();
        max = Math.max(max, id);
        named.put(e.getKey(), id);
      }
    } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
      for (int id = 0; id < vocab.size(); id++) {
        max = Math.max(max, id);
        named.put(vocab.get(id).path(0).asText(), id);
      }
    }
    for (JsonNode added : root.path("added_tokens")) {
      int id = added.path("id").asInt(-1);
      max = Math.max(max, id);
      named.put(added.path("content").asText(), id);
    }
    if (max < 0) {
      throw new InvalidInputException(file + " has no vocabulary (model.vocab / added_tokens)");
    }
    return new HfTokenizerJson(
        max + 1, find(named, BOS), find(named, EOS), find(named, PAD), find(named, MASK));
  }

  private static int find(Map<String, Integer> named, Set<String> names) {
    int best = -1;
    for (String n : names) {
      Integer id = named.get(n);
      if (id != null && (best < 0 || id < best)) {
        best = id;
      }
    }
    return best;
  }
}

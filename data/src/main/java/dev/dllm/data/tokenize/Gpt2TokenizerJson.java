package dev.dllm.data.tokenize;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Builds a Hugging Face {@code tokenizer.json} for GPT-2 from OpenAI's original {@code
 * encoder.json} (token → id) and {@code vocab.bpe} (merges in rank order): a byte-level BPE model
 * with the byte-level pre-tokenizer (no prefix space) and decoder, and {@code <|endoftext|>}
 * (50256) as a special added token. This is the layout of the {@code gpt2} tokenizer on the HF hub,
 * so {@code hf:} over this file gives the same ids as {@code gpt2} (JTokkit r50k_base).
 */
public final class Gpt2TokenizerJson {
  private Gpt2TokenizerJson() {}

  /**
   * Writes {@code out} atomically (temp file + rename).
   *
   * @throws InvalidInputException when an input is missing or malformed
   */
  public static void write(Path encoderJson, Path vocabBpe, Path out) {
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      ObjectMapper mapper = new ObjectMapper();
      try (JsonGenerator g = mapper.getFactory().createGenerator(tmp.toFile(), JsonEncoding.UTF8);
          JsonParser vocab = mapper.getFactory().createParser(encoderJson.toFile());
          BufferedReader merges = Files.newBufferedReader(vocabBpe, StandardCharsets.UTF_8)) {
        g.writeStartObject();
        g.writeStringField("version", "1.0");
        g.writeNullField("truncation");
        g.writeNullField("padding");
        // <|endoftext|> stays in the model vocabulary but is not an added token, so a literal
        // "<|endoftext|>" in text is ordinary text, as with JTokkit's encodeOrdinary
        g.writeArrayFieldStart("added_tokens");
        g.writeEndArray();
        g.writeNullField("normalizer");
        byteLevel(g, "pre_tokenizer", false, true);
        byteLevel(g, "post_processor", true, false);
        byteLevel(g, "decoder", true, true);
        g.writeObjectFieldStart("model");
        g.writeStringField("type", "BPE");
        g.writeNullField("dropout");
        g.writeNullField("unk_token");
        g.writeStringField("continuing_subword_prefix", "");
        g.writeStringField("end_of_word_suffix", "");
        g.writeBooleanField("fuse_unk", false);
        g.writeBooleanField("byte_fallback", false);
        g.writeObjectFieldStart("vocab");
        if (vocab.nextToken() != JsonToken.START_OBJECT) {
          throw new InvalidInputException(encoderJson + ": expected a JSON object token -> id");
        }
        while (vocab.nextToken() == JsonToken.FIELD_NAME) {
          String token = vocab.currentName();
          vocab.nextToken();
          g.writeNumberField(token, vocab.getIntValue());
        }
        g.writeEndObject();
        g.writeArrayFieldStart("merges");
        String line;
        boolean first = true;
        while ((line = merges.readLine()) != null) {
          if (first && line.startsWith("#version")) {
            first = false;
            continue;
          }
          first = false;
          if (line.isBlank()) {
            continue;
          }
          if (line.split(" ").length != 2) {
            throw new InvalidInputException(vocabBpe + ": merge line is not 'a b': " + line);
          }
          g.writeString(line);
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndObject();
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new InvalidInputException("cannot build GPT-2 tokenizer.json: " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort
      }
    }
  }

  private static void byteLevel(JsonGenerator g, String field, boolean prefix, boolean trim)
      throws IOException {
    g.writeObjectFieldStart(field);
    g.writeStringField("type", "ByteLevel");
    g.writeBooleanField("add_prefix_space", prefix);
    g.writeBooleanField("trim_offsets", trim);
    g.writeBooleanField("use_regex", true);
    g.writeEndObject();
  }
}

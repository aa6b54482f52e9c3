package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A corpus without text is refused with its name, whatever the tokenizer. */
class EmptyCorpusTest {
  @TempDir Path tmp;

  private InvalidInputException refused(Path corpus, String spec) {
    return assertThrows(
        InvalidInputException.class,
        () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(corpus), spec));
  }

  @Test
  void emptyFileIsNamedForEveryTokenizer() throws Exception {
    Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
    for (String spec : new String[] {"char", "byte", "gpt2"}) {
      assertEquals(
          "corpus " + empty + " is empty (0 bytes); expected text to tokenize",
          refused(empty, spec).getMessage(),
          spec);
    }
  }

  @Test
  void jsonlWithOnlyEmptyTextsIsNamedWithItsField() throws Exception {
    Path jsonl =
        Files.writeString(tmp.resolve("docs.jsonl"), "{\"text\": \"\"}\n{\"text\": \"\"}\n");
    assertEquals(
        "corpus "
            + jsonl
            + " has no text in the field 'text' of its records; the char tokenizer builds its"
            + " vocabulary from the corpus",
        refused(jsonl, "char").getMessage());
    assertEquals(
        "corpus "
            + jsonl
            + " has no text in the field 'text' of its records; expected text to"
            + " tokenize",
        refused(jsonl, "byte").getMessage());
  }
}

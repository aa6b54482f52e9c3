package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus read with a given tokenizer (a char model's closed vocabulary, as {@code dllm eval
 * --data CORPUS} does) that holds a character the tokenizer cannot encode: the message names the
 * file of the folder and the character's offset in that file (it named no file before).
 */
class CorpusUnencodableTest {
  @TempDir Path tmp;

  @Test
  void theFileAndTheOffsetInTheFileAreNamed() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("corpus"));
    Files.writeString(dir.resolve("a.txt"), "abc abc\n".repeat(40));
    // the bad character at offset 100 of b.txt, the second file
    Files.writeString(dir.resolve("b.txt"), "cab\n".repeat(25) + "\"" + "abc\n".repeat(10));
    Tokenizer tok = Tokenizers.create("char", "abc \n");
    CorpusPipeline p = new CorpusPipeline(tmp.resolve("cache"), 64);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> p.load(CorpusSource.of(dir), tok));
    String m = e.getMessage();
    assertTrue(m.startsWith(dir.resolve("b.txt") + ", char offset 100: "), m);
    assertTrue(m.contains("U+0022"), m);
    assertEquals(1, m.lines().count(), m);
  }
}

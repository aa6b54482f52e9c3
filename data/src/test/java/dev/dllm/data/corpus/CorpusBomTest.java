package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A UTF-8 byte-order mark at the start of a file is not part of the text. */
class CorpusBomTest {
  @TempDir Path tmp;

  @Test
  void leadingByteOrderMarkIsDropped() throws Exception {
    String body = "hello world\n".repeat(50);
    Path withBom = tmp.resolve("bom.txt");
    Files.write(withBom, ("\uFEFF" + body).getBytes(StandardCharsets.UTF_8));
    Path plain = tmp.resolve("plain.txt");
    Files.writeString(plain, body);
    CorpusPipeline p = new CorpusPipeline(tmp.resolve("cache"));
    TokenizedCorpus a = p.load(CorpusSource.of(withBom), "char");
    TokenizedCorpus b = p.load(CorpusSource.of(plain), "char");
    // same vocabulary ("dehlorw", space, newline + 4 specials) and the same token counts
    assertEquals(b.tokenizer().vocabSize(), a.tokenizer().vocabSize());
    assertEquals(9 + 4, a.tokenizer().vocabSize());
    assertEquals(b.stats().tokens(), a.stats().tokens());
  }
}

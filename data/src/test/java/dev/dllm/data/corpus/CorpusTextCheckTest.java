package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 7: a {@code .txt} holding NUL bytes is refused (file and byte offset); CRLF and
 * lone CR are read as LF by default ({@link Newlines#LF}), as they are with {@link Newlines#KEEP}.
 */
class CorpusTextCheckTest {
  @TempDir Path tmp;

  private static int[] all(TokenSource s) {
    int[] out = new int[Math.toIntExact(s.size())];
    s.read(0, out, 0, out.length);
    return out;
  }

  @Test
  void nulByteIsRefusedNamingFileAndOffset() throws Exception {
    byte[] bytes = "some text\n".repeat(8000).getBytes(StandardCharsets.US_ASCII); // 80,000 bytes
    bytes[70_000] = 0; // past the reader's first 64 KiB buffer
    Path f = Files.write(tmp.resolve("binary.txt"), bytes);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(f), "byte"));
    assertTrue(
        e.getMessage().startsWith(f + ": NUL byte (0x00) at byte offset 70000"), e.getMessage());
    // in a folder too, and the char tokenizer's vocabulary pass refuses it as well
    Path dir = Files.createDirectories(tmp.resolve("books"));
    Files.writeString(dir.resolve("a.txt"), "fine text\n".repeat(10));
    Path b = Files.write(dir.resolve("b.txt"), new byte[] {'o', 'k', 0, 'x'});
    InvalidInputException e2 =
        assertThrows(
            InvalidInputException.class,
            () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(dir), "char"));
    assertTrue(
        e2.getMessage().startsWith(b + ": NUL byte (0x00) at byte offset 2"), e2.getMessage());
  }

  /** Random text with CRLF, lone CR and LF line ends. */
  private static String mixedLineEnds(long seed) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      int k = r.nextInt(10);
      sb.append(
          k == 0
              ? "\r\n"
              : k == 1 ? "\r" : k == 2 ? "\n" : k == 3 ? "\r\r\n" : "ab c".substring(k % 4));
    }
    return sb.append('\r').toString(); // a final lone CR
  }

  @Test
  void crlfAndCrAreReadAsLfByDefaultAtEveryChunkBoundary() throws Exception {
    String text = mixedLineEnds(5);
    Path f = Files.writeString(tmp.resolve("crlf.txt"), text);
    // oracle: the whole text normalised at once, as bytes, then the document's EOS
    byte[] expected =
        text.replace("\r\n", "\n").replace('\r', '\n').getBytes(StandardCharsets.UTF_8);
    for (int chunk : new int[] {3, 7, 64, 1 << 20}) { // small chunks cut between \r and \n
      CorpusPipeline p = new CorpusPipeline(tmp.resolve("cache-" + chunk), chunk);
      TokenizedCorpus lf = p.load(CorpusSource.of(f).withValidFraction(0), "byte");
      assertEquals(Newlines.LF, CorpusSource.of(f).newlines()); // the default
      int[] ids = all(lf.train());
      int eos = lf.tokenizer().specials().eos();
      assertEquals(eos, ids[ids.length - 1]);
      int[] want = new int[expected.length];
      for (int i = 0; i < want.length; i++) {
        want[i] =
            lf.tokenizer()
                .encode(new String(new byte[] {expected[i]}, StandardCharsets.US_ASCII))[0];
      }
      assertArrayEquals(want, Arrays.copyOf(ids, ids.length - 1), "chunk " + chunk);
      // keep: the bytes as they are
      TokenizedCorpus keep =
          p.load(CorpusSource.of(f).withValidFraction(0).withNewlines(Newlines.KEEP), "byte");
      assertEquals(text.length() + 1, keep.train().size(), "chunk " + chunk);
    }
    // a char vocabulary built under lf has no \r at all
    Tokenizer chars =
        new CorpusPipeline(tmp.resolve("cache-char")).load(CorpusSource.of(f), "char").tokenizer();
    assertThrows(InvalidInputException.class, () -> chars.encode("\r"));
    Tokenizer kept =
        new CorpusPipeline(tmp.resolve("cache-char"))
            .load(CorpusSource.of(f).withNewlines(Newlines.KEEP), "char")
            .tokenizer();
    assertEquals(1, kept.encode("\r").length);
  }

  @Test
  void jsonlTextIsNormalisedToo() throws Exception {
    Path f =
        Files.writeString(
            tmp.resolve("d.jsonl"), "{\"text\": \"a\\r\\nb\\rc\"}\n{\"text\": \"d\"}\n");
    TokenizedCorpus c =
        new CorpusPipeline(tmp.resolve("cache"))
            .load(CorpusSource.of(f).withValidFraction(0), "byte");
    Tokenizer t = c.tokenizer();
    int eos = t.specials().eos();
    int[] a = t.encode("a\nb\nc");
    int[] d = t.encode("d");
    int[] want = new int[a.length + d.length + 2];
    System.arraycopy(a, 0, want, 0, a.length);
    want[a.length] = eos;
    System.arraycopy(d, 0, want, a.length + 1, d.length);
    want[want.length - 1] = eos;
    assertArrayEquals(want, all(c.train()));
  }
}

package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.tokenize.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split of a folder corpus (issue 19 item 3): the byte tail of the files concatenated in path
 * order, so the validation share of tokens follows the fraction however few files there are.
 */
class FolderSplitTest {
  @TempDir Path tmp;

  private static String decode(Tokenizer tok, TokenSource s) {
    int[] ids = new int[Math.toIntExact(s.size())];
    s.read(0, ids, 0, ids.length);
    StringBuilder sb = new StringBuilder();
    for (int id : ids) {
      if (id != tok.specials().eos()) {
        sb.append(tok.decode(new int[] {id}));
      }
    }
    return sb.toString();
  }

  /** A book of {@code lines} numbered lines of varying length (ASCII, '\n'). */
  private static String book(String name, int lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      sb.append(name)
          .append(" line ")
          .append(i)
          .append(" ")
          .append("x".repeat(i % 17))
          .append('\n');
    }
    return sb.toString();
  }

  @Test
  void folderOfTwoBooksHoldsOutAboutFivePercentOfTokens() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("books"));
    String a = book("alpha", 3000);
    String b = book("beta", 2500);
    Files.writeString(dir.resolve("a.txt"), a);
    Files.writeString(dir.resolve("b.txt"), b);
    TokenizedCorpus c = new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(dir), "byte");
    CorpusStats s = c.stats();
    // oracle: byte T = floor(0.95 · total) lies in b.txt; the cut is after its next newline
    long total = a.length() + b.length();
    int target = (int) (Math.floor(0.95 * total) - a.length());
    assertTrue(target > 0, "the target byte lies in the second book");
    int cut = b.indexOf('\n', target) + 1;
    assertEquals(a + b.substring(0, cut), decode(c.tokenizer(), c.train()));
    assertEquals(b.substring(cut), decode(c.tokenizer(), c.valid()));
    // byte tokenizer: one token per byte, plus one EOS per part (a, head of b | tail of b)
    assertEquals(a.length() + cut + 2, s.trainTokens());
    assertEquals(b.length() - cut + 1, s.validTokens());
    double share = s.validTokenShare();
    assertTrue(share > 0.049 && share < 0.051, "validation share of tokens " + share);
    assertEquals(2, s.files());
    assertEquals(CorpusSource.of(dir).splitRule(), s.splitRule());
  }

  @Test
  void manySmallFilesAreSplitAtAFileBoundaryInSortedOrder() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("docs"));
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String t = "document number " + i + " says hello.\n";
      texts.add(t);
      // written in reverse so that listing order differs from path order
      Files.writeString(dir.resolve(String.format("d%02d.txt", 39 - i)), "");
    }
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      Files.writeString(dir.resolve(String.format("d%02d.txt", i)), texts.get(i));
      all.append(texts.get(i));
    }
    Files.writeString(dir.resolve("ignored.md"), "not a txt file");
    TokenizedCorpus c = new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(dir), "gpt2");
    // every file ends with its only newline: the cut is the end of the file holding byte T
    int cut = all.indexOf("\n", (int) Math.floor(0.95 * all.length())) + 1;
    Tokenizer tok = c.tokenizer();
    assertEquals(all.substring(0, cut), decode(tok, c.train()));
    assertEquals(all.substring(cut), decode(tok, c.valid()));
    assertEquals(40, c.stats().files());
    assertEquals(40, c.stats().documents()); // no file was cut in two
  }

  @Test
  void folderOfOneFileSplitsAsThatFile() throws IOException {
    String text = "line one\nline two\nline three\nline four\n".repeat(50);
    Path dir = Files.createDirectories(tmp.resolve("one"));
    Path f = Files.writeString(dir.resolve("only.txt"), text);
    CorpusPipeline p = new CorpusPipeline(tmp.resolve("cache"));
    TokenizedCorpus fromDir = p.load(CorpusSource.of(dir).withValidFraction(0.1), "byte");
    TokenizedCorpus fromFile = p.load(CorpusSource.of(f).withValidFraction(0.1), "byte");
    assertEquals(fromFile.stats().validBytes(), fromDir.stats().validBytes());
    assertEquals(
        decode(fromFile.tokenizer(), fromFile.valid()),
        decode(fromDir.tokenizer(), fromDir.valid()));
  }
}

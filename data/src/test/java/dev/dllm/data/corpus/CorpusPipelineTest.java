package dev.dllm.data.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.SharedData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusPipelineTest {
  @TempDir Path tmp;

  private static int[] all(TokenSource s) {
    int[] out = new int[Math.toIntExact(s.size())];
    s.read(0, out, 0, out.length);
    return out;
  }

  @Test
  void ptbTestAtL128GivesBlocks() {
    Path ptb = SharedData.file("data/ptb/ptb.test.txt");
    TokenizedCorpus c = new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(ptb), "gpt2");
    BlockDataset train = c.trainBlocks(128, BlockMode.WRAP);
    assertTrue(train.size() >= 1);
    int[] row = train.block(0);
    assertEquals(50256, row[0]);
    assertEquals(50256, row[127]);
    assertTrue(c.validBlocks(128, BlockMode.WRAP).size() >= 1);
    assertEquals(449_945, c.stats().bytes());
    assertEquals(c.stats().bytes(), c.stats().trainBytes() + c.stats().validBytes());
    // the validation tail is about 5% of the bytes and starts after a newline
    double f = c.stats().validBytes() / (double) c.stats().bytes();
    assertTrue(f > 0.049 && f < 0.051, "valid fraction " + f);
  }

  @Test
  void singleFileStreamIsTrainDocThenEos() throws IOException {
    String text = "line one\nline two\nline three\nline four\n".repeat(50);
    Path f = Files.writeString(tmp.resolve("a.txt"), text);
    TokenizedCorpus c =
        new CorpusPipeline(tmp.resolve("cache"))
            .load(CorpusSource.of(f).withValidFraction(0.1), "byte");
    Tokenizer tok = c.tokenizer();
    int[] train = all(c.train());
    int[] valid = all(c.valid());
    assertEquals(257, train[train.length - 1]);
    assertEquals(257, valid[valid.length - 1]);
    String head = tok.decode(train);
    String tail = tok.decode(valid);
    assertEquals(text, head + tail);
    assertTrue(head.endsWith("\n"));
    assertEquals(text.length() - head.length(), c.stats().validBytes());
    assertEquals(2, c.stats().documents());
  }

  @Test
  void cacheHitDoesNotRetokenize() throws IOException {
    Path f = Files.writeString(tmp.resolve("c.txt"), "to be or not to be\n".repeat(200));
    CorpusPipeline p = new CorpusPipeline(tmp.resolve("cache"));
    TokenizedCorpus first = p.load(CorpusSource.of(f), "char");
    assertFalse(first.cacheHit());
    long runs = CorpusPipeline.tokenizations();
    Path tokFile = first.cacheEntry().resolve("train.tok");
    FileTime mtime = Files.getLastModifiedTime(tokFile);
    TokenizedCorpus second = p.load(CorpusSource.of(f), "char");
    assertTrue(second.cacheHit());
    assertEquals(runs, CorpusPipeline.tokenizations());
    assertEquals(mtime, Files.getLastModifiedTime(tokFile));
    assertEquals(first.tokenizer().state(), second.tokenizer().state());
    assertArrayEquals(all(first.train()), all(second.train()));
    // a given tokenizer with the same state, a different split, or changed content: a new entry
    TokenizedCorpus third = p.load(CorpusSource.of(f).withValidFraction(0.2), second.tokenizer());
    assertFalse(third.cacheHit());
    Files.writeString(f, "to be or not to be?\n".repeat(200));
    assertFalse(p.load(CorpusSource.of(f), "char").cacheHit());
  }

  @Test
  void strictUtf8NamesFileAndByteOffset() throws IOException {
    byte[] good = "hello wörld\n".getBytes(StandardCharsets.UTF_8); // 13 bytes
    byte[] bytes = new byte[good.length + 3];
    System.arraycopy(good, 0, bytes, 0, good.length);
    bytes[good.length] = 'a';
    bytes[good.length + 1] = (byte) 0xFF; // invalid at offset 14
    bytes[good.length + 2] = 'b';
    Path f = Files.write(tmp.resolve("bad.txt"), bytes);
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(f), "byte"));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("byte offset 14"), e.getMessage());
    // a truncated multi-byte sequence at the end
    Path g = Files.write(tmp.resolve("cut.txt"), new byte[] {'a', 'b', (byte) 0xE2, (byte) 0x82});
    InvalidInputException e2 =
        assertThrows(
            InvalidInputException.class,
            () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(g), "byte"));
    assertTrue(e2.getMessage().contains("byte offset 2"), e2.getMessage());
  }

  @Test
  void jsonlWithTextField() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      sb.append("{\"question\": \"q").append(i).append("\", \"id\": ").append(i).append("}\n");
      if (i == 5) {
        sb.append("   \n");
      }
    }
    Path f = Files.writeString(tmp.resolve("d.jsonl"), sb.toString());
    TokenizedCorpus c =
        new CorpusPipeline(tmp.resolve("cache"))
            .load(CorpusSource.of(f).withTextField("question").withValidFraction(0.1), "byte");
    assertEquals(20, c.stats().documents());
    assertEquals(2, c.stats().validDocuments());
    assertEquals(10 * 2 + 10 * 3 + 20, c.stats().tokens()); // q0..q9, q10..q19, 20 EOS
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(f), "byte"));
    assertTrue(
        e.getMessage().contains("line 1") && e.getMessage().contains("'text'"), e.getMessage());
  }

  @Test
  void chunkedLongDocumentGivesTheSameGpt2Ids() throws IOException {
    Path src = SharedData.file("data/wikitext2/wiki.test.tokens");
    String text = Files.readString(src).substring(0, 200_000);
    Path f = Files.writeString(tmp.resolve("w.txt"), text);
    Tokenizer gpt2 = Tokenizers.create("gpt2", null);
    TokenizedCorpus c =
        new CorpusPipeline(tmp.resolve("cache"), 5000)
            .load(CorpusSource.of(f).withValidFraction(0), gpt2);
    int[] ids = all(c.train());
    int[] whole = gpt2.encode(text);
    assertEquals(whole.length + 1, ids.length);
    assertArrayEquals(whole, java.util.Arrays.copyOf(ids, whole.length));
    assertEquals(0, c.valid().size());
  }

  @Test
  void chunkedLongDocumentGivesTheSameSentencePieceIds() throws IOException {
    Path model = SharedData.file("data/tokenizers/llama2-sentencepiece/tokenizer.model");
    String text =
        Files.readString(SharedData.file("data/wikitext2/wiki.test.tokens")).substring(0, 60_000);
    Path f = Files.writeString(tmp.resolve("w.txt"), text);
    Tokenizer spm = Tokenizers.create("spm:" + model, null);
    TokenizedCorpus c =
        new CorpusPipeline(tmp.resolve("cache"), 5000)
            .load(CorpusSource.of(f).withValidFraction(0), spm);
    int[] ids = all(c.train());
    int[] whole = spm.encode(text);
    assertArrayEquals(whole, java.util.Arrays.copyOf(ids, ids.length - 1));
    assertEquals(2, ids[ids.length - 1]);
  }

  @Test
  void wrapOnAShortCorpusFails() throws IOException {
    Path f = Files.writeString(tmp.resolve("s.txt"), "short text\n");
    TokenizedCorpus c = new CorpusPipeline(tmp.resolve("cache")).load(CorpusSource.of(f), "char");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> c.trainBlocks(1024, BlockMode.WRAP));
    assertTrue(e.getMessage().contains("corpus shorter than one block"), e.getMessage());
  }
}

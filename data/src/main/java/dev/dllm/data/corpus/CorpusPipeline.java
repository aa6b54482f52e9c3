package dev.dllm.data.corpus;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.DllmCache;
import dev.dllm.data.tokenize.ContinuationEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Corpus → tokenizer → token streams, cached on disk. The train and validation streams (each
 * document's tokens followed by EOS) are written once as int32 token files under {@code
 * <cache>/tokens/<key>/} and memory-mapped afterwards, so neither heap nor re-tokenizing grows with
 * the corpus. The key is a SHA-256 over the corpus content (names, sizes, bytes), the split
 * settings, the tokenizer spec (plus the tokenizer file's content for {@code hf:}/{@code spm:})
 * and, for a given tokenizer, its state. Entries are written to a temporary folder and renamed, so
 * a crash never leaves a half entry.
 *
 * <p>Documents longer than the chunk size (1 Mi chars) are tokenized in pieces cut after a newline
 * that sits between two non-space characters (see {@code StrictUtf8.safeCut}), which keeps the heap
 * small and SentencePiece fast. For GPT-2 style BPE the pieces give the same ids as the whole text;
 * SentencePiece continues pieces through {@link ContinuationEncoder} (no spurious dummy prefix), so
 * it also matches. Only a document with no such newline in a whole chunk is cut elsewhere.
 */
public final class CorpusPipeline {
  /**
   * Version of the cache layout and split rule; part of every key (3: folders split by a byte tail,
   * not by whole documents; stats record the file count).
   */
  public static final int FORMAT_VERSION = 3;

  private static final AtomicLong TOKENIZATIONS = new AtomicLong();
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path cacheRoot;
  private final int chunkChars;

  /** A pipeline caching under {@link DllmCache#root()}. */
  public CorpusPipeline() {
    this(DllmCache.root());
  }

  /** A pipeline caching under {@code cacheRoot/tokens}. */
  public CorpusPipeline(Path cacheRoot) {
    this(cacheRoot, 1 << 20);
  }

  CorpusPipeline(Path cacheRoot, int chunkChars) {
    this.cacheRoot = cacheRoot;
    this.chunkChars = chunkChars;
  }

  /** How many corpora this JVM has tokenized (cache misses); a cache hit does not count. */
  public static long tokenizations() {
    return TOKENIZATIONS.get();
  }

  /**
   * Tokenizes {@code source} with a tokenizer built from {@code spec} (a {@code char} vocabulary is
   * built from the whole corpus), or loads the cached streams.
   *
   * @throws InvalidInputException for bad input (missing file, invalid UTF-8 with file and byte
   *     offset, bad JSONL, unknown tokenizer)
   */
  public TokenizedCorpus load(CorpusSource source, String spec) {
    return load(source, spec, null);
  }

  /**
   * Tokenizes {@code source} with an existing tokenizer (e.g. restored from a checkpoint), or loads
   * the cached streams.
   */
  public TokenizedCorpus load(CorpusSource source, Tokenizer tokenizer) {
    return load(source, tokenizer.spec(), tokenizer);
  }

  private TokenizedCorpus load(CorpusSource source, String spec, Tokenizer given) {
    try {
      CorpusReader.Scan scan = CorpusReader.scan(source);
      if (scan.bytes() == 0) {
        throw new InvalidInputException(
            "corpus " + source.path() + " is empty (0 bytes); expected text to tokenize");
      }
      String key = key(source, scan, spec, given);
      Path entry = cacheRoot.resolve("tokens").resolve(key);
      if (Files.isRegularFile(entry.resolve("stats.json"))) {
        try {
          return requireText(source, open(entry, given, true));
        } catch (InvalidInputException | IOException e) {
          deleteTree(entry); // corrupt entry: rebuild
        }
      }
      Tokenizer tokenizer = given != null ? given : create(spec, source, scan);
      Files.createDirectories(entry.getParent());
      Path tmp = entry.resolveSibling(key + ".tmp-" + UUID.randomUUID());
      try {
        Files.createDirectories(tmp);
        build(source, scan, tokenizer, tmp);
        try {
          Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
          if (!Files.isRegularFile(entry.resolve("stats.json"))) {
            throw e;
          }
        } catch (IOException e) {
          if (!Files.isRegularFile(entry.resolve("stats.json"))) {
            throw e; // a concurrent writer that won the race is fine
          }
        }
      } finally {
        deleteTree(tmp);
      }
      return requireText(source, open(entry, tokenizer, false));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot tokenize corpus " + source.path() + ": " + e, e);
    }
  }

  private Tokenizer create(String spec, CorpusSource source, CorpusReader.Scan scan)
      throws IOException {
    if (!spec.equals("char")) {
      return Tokenizers.create(spec, null);
    }
    // char: the vocabulary is every code point of the corpus (train and validation)
    java.util.BitSet seen = new java.util.BitSet(Character.MAX_CODE_POINT + 1);
    CorpusReader.read(
        source,
        scan,
        chunkChars,
        new CorpusReader.Sink() {
          @Override
          public void text(boolean valid, String text) {
            text.codePoints().forEach(seen::set);
          }

          @Override
          public void endDocument(boolean valid) {}
        });
    StringBuilder sample = new StringBuilder();
    seen.stream().forEach(sample::appendCodePoint);
    if (sample.length() == 0) {
      throw new InvalidInputException(
          noText(source) + "; the char tokenizer builds its vocabulary" + " from the corpus");
    }
    return Tokenizers.create(spec, sample);
  }

  private void build(CorpusSource source, CorpusReader.Scan scan, Tokenizer tok, Path dir)
      throws IOException {
    long start = System.nanoTime();
    int eos = tok.specials().eos();
    long[] docs = new long[2];
    long[] bytes = new long[2];
    try (TokenFile.Writer train = new TokenFile.Writer(dir.resolve("train.tok"));
        TokenFile.Writer valid = new TokenFile.Writer(dir.resolve("valid.tok"))) {
      CorpusReader.read(
          source,
          scan,
          chunkChars,
          new CorpusReader.Sink() {
            private boolean continuation;

            @Override
            public void text(boolean isValid, String text) throws IOException {
              int[] ids;
              try {
                ids =
                    continuation && tok instanceof ContinuationEncoder c
                        ? c.encodeContinuation(text)
                        : tok.encode(text);
              } catch (InvalidInputException e) {
                throw unencodable(source, text, tok, e);
              }
              (isValid ? valid : train).write(ids);
              bytes[isValid ? 1 : 0] += utf8Length(text);
              continuation = true;
            }

            @Override
            public void endDocument(boolean isValid) throws IOException {
              if (eos >= 0) {
                (isValid ? valid : train).write(eos);
              }
              docs[isValid ? 1 : 0]++;
              continuation = false;
            }
          });
      double seconds = (System.nanoTime() - start) / 1e9;
      CorpusStats stats =
          new CorpusStats(
              source.path().toAbsolutePath().toString(),
              source.format().name().toLowerCase(java.util.Locale.ROOT),
              source.format() == CorpusFormat.JSONL ? source.textField() : null,
              scan.sha256(),
              tok.spec(),
              new TreeMap<>(tok.state()),
              tok.vocabSize(),
              docs[0] + docs[1],
              docs[0],
              docs[1],
              scan.bytes(),
              bytes[0],
              bytes[1],
              train.count(),
              valid.count(),
              source.validFraction(),
              source.splitRule(),
              seconds,
              source.files().size());
      JSON.writeValue(dir.resolve("stats.json").toFile(), stats);
    }
    TOKENIZATIONS.incrementAndGet();
  }

  /**
   * The tokenizer's refusal of a chunk, restated for the corpus: the file (of a folder's files, in
   * the order they are read) and the char offset in it of the first character the tokenizer cannot
   * encode (the tokenizer's own offset is within an internal chunk). Nothing before it failed, so
   * that character's first occurrence in read order is the one refused. JSONL: the corpus only.
   */
  private static InvalidInputException unencodable(
      CorpusSource source, String chunk, Tokenizer tok, InvalidInputException e) {
    String bad = null;
    for (int i = 0; i < chunk.length() && bad == null; ) {
      String c = new String(Character.toChars(chunk.codePointAt(i)));
      try {
        tok.encode(c);
      } catch (InvalidInputException refused) {
        bad = c;
      }
      i += c.length();
    }
    String reason = e.getMessage().replaceFirst(" at char offset \\d+", "");
    if (bad != null && source.format() != CorpusFormat.JSONL) { // JSONL holds escaped text
      for (Path f : source.files()) {
        try {
          int at = Files.readString(f, StandardCharsets.UTF_8).indexOf(bad);
          if (at >= 0) {
            return new InvalidInputException(f + ", char offset " + at + ": " + reason);
          }
        } catch (IOException | UncheckedIOException unreadable) {
          break; // fall back to naming the corpus
        }
      }
    }
    return new InvalidInputException("corpus " + source.path() + ": " + reason);
  }

  /** Refuses a corpus without a single character of text (e.g. JSONL records with empty text). */
  private static TokenizedCorpus requireText(CorpusSource source, TokenizedCorpus corpus) {
    CorpusStats s = corpus.stats();
    if (s.trainBytes() + s.validBytes() == 0) {
      throw new InvalidInputException(noText(source) + "; expected text to tokenize");
    }
    return corpus;
  }

  private static String noText(CorpusSource source) {
    return "corpus "
        + source.path()
        + " has no text"
        + (source.format() == CorpusFormat.JSONL
            ? " in the field '" + source.textField() + "' of its records"
            : "");
  }

  private static TokenizedCorpus open(Path entry, Tokenizer given, boolean hit) throws IOException {
    CorpusStats stats = JSON.readValue(entry.resolve("stats.json").toFile(), CorpusStats.class);
    Tokenizer tok =
        given != null
            ? given
            : Tokenizers.restore(
                stats.tokenizer(),
                stats.tokenizerState() == null ? Map.of() : stats.tokenizerState());
    TokenSource train = TokenFile.map(entry.resolve("train.tok"));
    TokenSource valid = TokenFile.map(entry.resolve("valid.tok"));
    if (train.size() != stats.trainTokens() || valid.size() != stats.validTokens()) {
      throw new InvalidInputException("cache entry " + entry + " does not match its stats");
    }
    return new TokenizedCorpus(tok, train, valid, stats, hit, entry);
  }

  private String key(CorpusSource source, CorpusReader.Scan scan, String spec, Tokenizer given)
      throws IOException {
    StringBuilder k = new StringBuilder();
    k.append("dllm-tokens-v").append(FORMAT_VERSION).append('\n');
    k.append(scan.sha256()).append('\n');
    k.append(source.format()).append('\n');
    if (source.format() == CorpusFormat.JSONL) {
      k.append(source.textField()).append('\n');
    }
    k.append(source.validFraction()).append('\n');
    if (source.newlines() != Newlines.KEEP) {
      k.append("newlines=").append(source.newlines().id()).append('\n'); // keep: the old keys
    }
    k.append(chunkChars).append('\n');
    k.append(spec).append('\n');
    int colon = spec.indexOf(':');
    if (colon >= 0) {
      Path p = Path.of(spec.substring(colon + 1));
      if (Files.isDirectory(p)) {
        p = p.resolve("tokenizer.json");
      }
      if (Files.isRegularFile(p)) {
        k.append(sha256(p)).append('\n');
      }
    }
    if (given == null) {
      k.append("fresh\n");
    } else {
      new TreeMap<>(given.state())
          .forEach((a, b) -> k.append(a).append('=').append(b).append('\n'));
    }
    return sha256(k.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 32);
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

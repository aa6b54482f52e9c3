package dev.dllm.data.bench;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.tokenize.Gpt2TokenizerJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Tokenizer throughput on one corpus, side by side: char, byte, gpt2 (JTokkit r50k), hf (a GPT-2
 * {@code tokenizer.json} built from the shared {@code encoder.json} + {@code vocab.bpe}) and spm
 * (the shared Llama-2 SentencePiece model). The corpus is encoded as one text, as the corpus
 * pipeline does for a single file; best of 3 runs after one warm-up, one thread. Prints encode MB/s
 * (10^6 UTF-8 bytes per second), tokens/s, decode MB/s, bytes/token, the encode speed relative to
 * gpt2, and whether decode round-trips exactly.
 *
 * <p>Run: {@code java -cp ... dev.dllm.data.bench.TokenizerBenchmark [corpus.txt [shared-dir]]} or
 * {@code dllm tokenize --bench [--data PATH]}.
 */
public final class TokenizerBenchmark {
  private static final int RUNS = 3;

  private TokenizerBenchmark() {}

  /**
   * One tokenizer's numbers.
   *
   * @param name display name
   * @param spec tokenizer spec
   * @param vocabSize V
   * @param tokens ids for the whole corpus
   * @param bytes UTF-8 bytes of the corpus
   * @param encodeSeconds best encode wall time
   * @param decodeSeconds best decode wall time
   * @param loadMillis creation plus first call
   * @param exactRoundTrip decode(encode(text)) equals text
   */
  public record Result(
      String name,
      String spec,
      int vocabSize,
      int tokens,
      long bytes,
      double encodeSeconds,
      double decodeSeconds,
      double loadMillis,
      boolean exactRoundTrip) {

    /** Encode throughput in MB/s (10^6 bytes). */
    public double encodeMegabytesPerSecond() {
      return bytes / 1e6 / encodeSeconds;
    }

    /** Encode throughput in tokens/s. */
    public double encodeTokensPerSecond() {
      return tokens / encodeSeconds;
    }

    /** Decode throughput in MB/s of text produced. */
    public double decodeMegabytesPerSecond() {
      return bytes / 1e6 / decodeSeconds;
    }

    /** Average UTF-8 bytes per token. */
    public double bytesPerToken() {
      return (double) bytes / tokens;
    }
  }

  public static void main(String[] args) throws IOException {
    Path corpus = args.length > 0 ? Path.of(args[0]) : BundledCorpus.tinyShakespeare();
    Path shared = args.length > 1 ? Path.of(args[1]) : sharedDir();
    run(corpus, System.out, shared);
  }

  /**
   * Benchmarks on {@code corpus} and prints the table; hf and spm need the shared data folder
   * (system property {@code dllm.shared} or environment variable {@code DLLM_SHARED}) and are
   * skipped without it.
   */
  public static void run(Path corpus, PrintStream out) throws IOException {
    run(corpus, out, sharedDir());
  }

  /** Benchmarks on {@code corpus} with tokenizer files from {@code shared} (may be null). */
  public static List<Result> run(Path corpus, PrintStream out, Path shared) throws IOException {
    List<Result> rows = measure(corpus, shared, out);
    print(rows, out);
    return rows;
  }

  /** Measures every available tokenizer; notes what was skipped on {@code out}. */
  public static List<Result> measure(Path corpus, Path shared, PrintStream out) throws IOException {
    String text = Files.readString(corpus, StandardCharsets.UTF_8);
    long bytes = text.getBytes(StandardCharsets.UTF_8).length;
    Map<String, String> specs = new LinkedHashMap<>();
    specs.put("char", "char");
    specs.put("byte", "byte");
    specs.put("gpt2", "gpt2");
    Path tmp = Files.createTempDirectory("dllm-bench");
    try {
      Path gpt2 = shared == null ? null : shared.resolve("data/tokenizers/gpt2");
      if (gpt2 != null && Files.isRegularFile(gpt2.resolve("encoder.json"))) {
        Path json = tmp.resolve("gpt2-tokenizer.json");
        Gpt2TokenizerJson.write(gpt2.resolve("encoder.json"), gpt2.resolve("vocab.bpe"), json);
        specs.put("hf (gpt2 json)", "hf:" + json);
      }
      Path spm =
          shared == null
              ? null
              : shared.resolve("data/tokenizers/llama2-sentencepiece/tokenizer.model");
      if (spm != null && Files.isRegularFile(spm)) {
        specs.put("spm (llama2)", "spm:" + spm);
      }
      out.printf(
          "tokenizer benchmark: %s, %,d bytes, %,d chars, 1 thread, best of %d after warm-up,"
              + " %d cores%n",
          corpus, bytes, text.length(), RUNS, Runtime.getRuntime().availableProcessors());
      if (specs.size() < 5) {
        out.println("(hf/spm skipped: shared tokenizer files not found; set -Ddllm.shared=DIR)");
      }
      List<Result> rows = new ArrayList<>();
      for (Map.Entry<String, String> e : specs.entrySet()) {
        try {
          rows.add(measure(e.getKey(), e.getValue(), text, bytes));
        } catch (InvalidInputException skipped) { // e.g. DJL tokenizers not on the class path
          out.println("(" + e.getKey() + " skipped: " + skipped.getMessage() + ")");
        }
      }
      return rows;
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Prints the table, with encode speed relative to gpt2. */
  public static void print(List<Result> rows, PrintStream out) {
    double gpt2 =
        rows.stream()
            .filter(r -> r.spec().equals("gpt2"))
            .mapToDouble(Result::encodeSeconds)
            .findFirst()
            .orElse(Double.NaN);
    out.printf(
        "%-16s %7s %10s %9s %9s %12s %9s %8s %8s %6s%n",
        "tokenizer",
        "V",
        "tokens",
        "bytes/tok",
        "enc MB/s",
        "enc tok/s",
        "dec MB/s",
        "vs gpt2",
        "load ms",
        "exact");
    for (Result r : rows) {
      out.printf(
          "%-16s %7d %,10d %9.2f %9.2f %,12.0f %9.2f %7.2fx %8.0f %6s%n",
          r.name(),
          r.vocabSize(),
          r.tokens(),
          r.bytesPerToken(),
          r.encodeMegabytesPerSecond(),
          r.encodeTokensPerSecond(),
          r.decodeMegabytesPerSecond(),
          gpt2 / r.encodeSeconds(),
          r.loadMillis(),
          r.exactRoundTrip());
    }
  }

  private static Result measure(String name, String spec, String text, long bytes) {
    long t0 = System.nanoTime();
    Tokenizer tok = Tokenizers.create(spec, text);
    tok.encode("warm up the native library");
    double loadMs = (System.nanoTime() - t0) / 1e6;
    int[] ids = tok.encode(text); // warm-up
    double enc = Double.MAX_VALUE;
    double dec = Double.MAX_VALUE;
    String back = null;
    for (int r = 0; r < RUNS; r++) {
      long a = System.nanoTime();
      ids = tok.encode(text);
      long b = System.nanoTime();
      back = tok.decode(ids);
      long c = System.nanoTime();
      enc = Math.min(enc, (b - a) / 1e9);
      dec = Math.min(dec, (c - b) / 1e9);
    }
    return new Result(
        name, spec, tok.vocabSize(), ids.length, bytes, enc, dec, loadMs, text.equals(back));
  }

  /** System property {@code dllm.shared} or environment variable {@code DLLM_SHARED}, or null. */
  public static Path sharedDir() {
    String p = System.getProperty("dllm.shared");
    if (p == null || p.isBlank()) {
      p = System.getenv("DLLM_SHARED");
    }
    return p == null || p.isBlank() ? null : Path.of(p);
  }
}

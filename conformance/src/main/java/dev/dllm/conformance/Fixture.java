package dev.dllm.conformance;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.tokenize.CharTokenizer;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.exporter.CheckpointExport;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What the checks of one {@link FamilyConformanceTestCase} share, built once per test class: the
 * {@code char} tokenizer over the tiny alphabet, random non-zero weights of the tiny DiT (every
 * adaLN and output layer non-zero, so each branch of the graph matters), a scratch folder and, on
 * first use, a trainer checkpoint of those weights and its ONNX export (written the way {@code dllm
 * export} writes it).
 */
final class Fixture implements AutoCloseable {
  /** Seed of the random weights. */
  static final long WEIGHT_SEED = 11;

  /** Half-width of the uniform weights (norm weights are 1 ± this). */
  static final double WEIGHT_SCALE = 0.3;

  final String familyName;
  final DiffusionFamily family;
  final TinyModel tiny;
  final Tokenizer tokenizer;
  final DitConfig config;
  final DitWeights weights;
  final Path dir;
  private Path export;

  Fixture(String familyName, DiffusionFamily family, TinyModel tiny) {
    this.familyName = familyName;
    this.family = family;
    this.tiny = tiny;
    this.tokenizer = CharTokenizer.fromSample(tiny.alphabet());
    this.config = tiny.config(family.backbone().attention());
    this.weights = DitInit.random(config, WEIGHT_SEED, WEIGHT_SCALE);
    try {
      this.dir = Files.createTempDirectory("dllm-conformance-" + familyName + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The ONNX export of {@link #weights}: a trainer checkpoint ({@link Checkpoint#save}, which
   * records the family's schedule) exported by {@link CheckpointExport} with L = tiny length.
   */
  synchronized Path export() {
    if (export == null) {
      try {
        Path ck = dir.resolve("saved").resolve("checkpoint");
        Checkpoint.save(
            ck, weights, Map.of(), Map.of("seq_len", tiny.length()), tokenizer, familyName);
        Path out = dir.resolve("export");
        CheckpointExport.export(ck, out, 0);
        export = out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return export;
  }

  /** Clean rows of ordinary (non-special) ids {@code [B, L]}. */
  int[] cleanTokens(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int chars = tokenizer.vocabSize() - 4;
    int[] x0 = new int[tiny.batch() * tiny.length()];
    for (int i = 0; i < x0.length; i++) {
      x0[i] = r.nextInt(chars);
    }
    return x0;
  }

  /** Any ids in [0, V), specials included. */
  TokenBatch anyTokens(SplittableRandom r, int batch, int length) {
    int[] ids = new int[batch * length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.nextInt(config.vocabSize());
    }
    return new TokenBatch(ids, batch, length);
  }

  /**
   * The training corpus of the resume check: {@code chars} characters of the alphabet drawn
   * uniformly from a fixed seed, one line (so the {@code char} vocabulary is the alphabet).
   */
  Path corpus(int chars) throws IOException {
    int[] cps = tiny.alphabet().codePoints().toArray();
    SplittableRandom r = new SplittableRandom(7);
    StringBuilder sb = new StringBuilder(chars);
    for (int i = 0; i < cps.length; i++) {
      sb.appendCodePoint(cps[i]); // every character occurs
    }
    while (sb.length() < chars) {
      sb.appendCodePoint(cps[r.nextInt(cps.length)]);
    }
    Path file = dir.resolve("corpus").resolve("tiny.txt");
    Files.createDirectories(file.getParent());
    Files.writeString(file, sb);
    return file;
  }

  /** The model file of the resume check ({@code hidden_size}, {@code n_blocks}, ... as JSON). */
  Path modelFile() throws IOException {
    Path file = dir.resolve("tiny-model.json");
    Files.writeString(
        file,
        String.format(
            "{\"name\": \"tiny\", \"hidden_size\": %d, \"n_blocks\": %d, \"n_heads\": %d,"
                + " \"cond_dim\": %d}",
            tiny.hidden(), tiny.blocks(), tiny.heads(), tiny.condDim()));
    return file;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new AssertionError("logit arrays differ in size: " + a.length + " vs " + b.length);
    }
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  static double spread(float[] a) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (float v : a) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi - lo;
  }

  /** Deletes the scratch folder. */
  @Override
  public void close() {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover temporary folder is harmless
    }
  }
}

package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.cli.Main;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Tiny random exports (char tokenizer, d 16, 1 block) and a {@code Main.run} for bench tests. */
final class BenchExports {
  private BenchExports() {}

  static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** {@code dllm export} of a random bidirectional DiT of {@code family} at L = {@code length}. */
  static Path export(Path dir, String family, long seed, int length) throws Exception {
    return export(dir, family, seed, length, 1);
  }

  /** As {@link #export(Path, String, long, int)} with {@code blocks} transformer blocks. */
  static Path export(Path dir, String family, long seed, int length, int blocks) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, blocks, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = dir.resolve("ck-" + family);
    Checkpoint.save(
        ck, DitInit.random(cfg, seed, 0.3), Map.of(), Map.of("seq_len", length), tok, family);
    Path ex = dir.resolve("export-" + family);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(
        0,
        run(
            new ByteArrayOutputStream(),
            err,
            "export",
            "--checkpoint",
            ck.toString(),
            "--out",
            ex.toString()),
        err.toString(StandardCharsets.UTF_8));
    return ex;
  }
}

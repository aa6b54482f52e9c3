package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Tiny random exports (char tokenizer, d 16, 1 layer, L 16) written by {@code dllm export}. */
final class TinyExports {
  private TinyExports() {}

  static Attention attention(String family) {
    return switch (family) {
      case "ar" -> Attention.CAUSAL;
      case "esolm" -> Attention.SORTED_CAUSAL;
      default -> Attention.BIDIRECTIONAL;
    };
  }

  /** Exports a random {@code family} model into {@code out} (its checkpoint goes beside it). */
  static Path export(String family, long seed, Path out) throws Exception {
    return export(
        family, seed, out, Map.of("steps", 7, "tokens", 1792, "seq_len", 16, "val_nll", 2.5));
  }

  /** {@link #export(String, long, Path)} with the given training provenance. */
  static Path export(String family, long seed, Path out, Map<String, Object> training)
      throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, attention(family), 0.0);
    Path ck = out.resolveSibling(out.getFileName() + "-checkpoint");
    Checkpoint.save(ck, DitInit.random(cfg, seed, 0.3), Map.of(), training, tok, family);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc =
        Main.run(
            new String[] {"export", "--checkpoint", ck.toString(), "--out", out.toString()},
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    return out;
  }
}

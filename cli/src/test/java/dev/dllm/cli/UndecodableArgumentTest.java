package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM decodes the command line with the locale's encoding: under a POSIX locale ({@code
 * LANG=C}, common in containers) {@code --prompt "café"} arrives as {@code "caf\uFFFD\uFFFD"}, and
 * a byte or GPT-2 model then sampled that prompt silently (exit 0). An option value holding U+FFFD
 * is refused instead: exit 2, one line naming the option and what to do.
 */
class UndecodableArgumentTest {
  @TempDir Path tmp;

  @Test
  void aPromptTheLocaleCouldNotDecodeIsRefusedNamingTheOption() throws Exception {
    // a byte model: it encodes U+FFFD (as EF BF BD), so nothing else refuses the prompt
    Tokenizer tok = Tokenizers.create("byte", null);
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.BIDIRECTIONAL, 0.0);
    Path ck = tmp.resolve("ck");
    Checkpoint.save(ck, DitInit.random(cfg, 1, 0.3), Map.of(), Map.of("seq_len", 16), tok, "mdlm");
    Path model = tmp.resolve("mdlm");
    CliRun cli = new CliRun();
    assertEquals(
        0, cli.run("export", "--checkpoint", ck.toString(), "--out", model.toString()), cli.err());
    Path out = tmp.resolve("s.jsonl");
    int rc =
        cli.run(
            "sample",
            "--model",
            model.toString(),
            "--num-samples",
            "1",
            "--steps",
            "2",
            "--prompt",
            "caf\uFFFD\uFFFD",
            "--out",
            out.toString());
    String e = cli.err().strip();
    assertEquals(2, rc, e);
    assertEquals(1, e.lines().count(), e);
    assertTrue(e.contains("--prompt") && e.contains("U+FFFD") && e.contains("UTF-8"), e);
    assertFalse(Files.exists(out));
  }
}

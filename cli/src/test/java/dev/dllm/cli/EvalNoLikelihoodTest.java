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
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm eval} on an export whose family cannot score its likelihood through the ONNX graphs
 * (an Eso-LM trained with alpha_0 &lt; 1: its NELBO needs the two-stream sequential layout, which
 * the export does not take) is bad input for this command: exit 2 with one line naming the model,
 * not exit 1 with a bare {@code java.lang.UnsupportedOperationException}; no report is written.
 */
class EvalNoLikelihoodTest {
  @TempDir Path tmp;

  @Test
  void esolmWithSequentialPhaseIsRefusedWithExit2NamingTheModel() throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, Attention.SORTED_CAUSAL, 0.0);
    Path ck = tmp.resolve("ck");
    Checkpoint.save(
        ck,
        DitInit.random(cfg, 3, 0.3),
        Map.of(),
        Map.of("steps", 7, "seq_len", 16, "family_options", Map.of("alpha_0", "0.5")),
        tok,
        "esolm");
    Path ex = tmp.resolve("ex");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(
        0,
        Main.run(
            new String[] {"export", "--checkpoint", ck.toString(), "--out", ex.toString()}, o, e),
        err.toString(StandardCharsets.UTF_8));
    Path text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
    err.reset();
    int rc =
        Main.run(
            new String[] {
              "eval", "--model", ex.toString(), "--data", text.toString(), "--threads", "1"
            },
            o,
            e);
    String msg = err.toString(StandardCharsets.UTF_8).strip();
    assertEquals(2, rc, msg);
    assertEquals(1, msg.lines().count(), msg);
    assertTrue(msg.contains("--model " + ex), msg);
    assertTrue(msg.contains("esolm"), msg);
    assertFalse(msg.contains("java.lang."), msg);
    assertFalse(Files.exists(ex.resolve("eval-report.json")));
  }
}

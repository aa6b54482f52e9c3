package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;

import ai.onnxruntime.OrtException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.runtime.onnx.OrtCalls;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm sample} on broken export folders (issue 7 §4) and a session failing mid-sampling
 * (issue 11 §5, simulated with Mockito at the ONNX Runtime seam).
 */
class SampleFaultCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String errText() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private Path export(String family, Attention a, long seed) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, a, 0.0);
    Path ck = tmp.resolve("ck-" + family + seed);
    Checkpoint.save(
        ck, DitInit.random(cfg, seed, 0.3), Map.of(), Map.of("seq_len", 16), tok, family);
    Path ex = tmp.resolve("ex-" + family + seed);
    assertEquals(0, run("export", "--checkpoint", "" + ck, "--out", "" + ex), errText());
    return ex;
  }

  private String[] sampleArgs(Path model, Path jsonl) {
    return new String[] {
      "sample",
      "--model",
      "" + model,
      "--num-samples",
      "4",
      "--steps",
      "3",
      "--batch",
      "2",
      "--predictor",
      "ancestral",
      "--out",
      "" + jsonl
    };
  }

  @Test
  void mixedExportFoldersAreRefusedWithExitTwo() throws Exception {
    Path mdlm = export("mdlm", Attention.BIDIRECTIONAL, 1);
    Path ar1 = export("ar", Attention.CAUSAL, 1);
    Path ar2 = export("ar", Attention.CAUSAL, 2);
    // model.onnx of another family
    Path mix = tmp.resolve("mix");
    Files.createDirectories(mix);
    Files.copy(mdlm.resolve("export-report.json"), mix.resolve("export-report.json"));
    Files.copy(ar1.resolve("model.onnx"), mix.resolve("model.onnx"));
    Path jsonl = tmp.resolve("s.jsonl");
    assertEquals(Main.EXIT_BAD_INPUT, run(sampleArgs(mix, jsonl)));
    assertTrue(
        errText()
            .startsWith(
                "dllm sample: " + mix.resolve("model.onnx") + " does not belong to this export"),
        errText());
    assertEquals(1, errText().lines().count(), errText());
    assertFalse(Files.exists(jsonl));
    // decode.onnx of another AR model
    err.reset();
    Files.copy(
        ar2.resolve("decode.onnx"),
        ar1.resolve("decode.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    assertEquals(Main.EXIT_BAD_INPUT, run(sampleArgs(ar1, jsonl)));
    assertTrue(
        errText()
            .startsWith(
                "dllm sample: " + ar1.resolve("decode.onnx") + " does not belong to this export"),
        errText());
    assertTrue(errText().contains("model hash"), errText());
    // garbage
    err.reset();
    Path garbage = Files.writeString(tmp.resolve("garbage.onnx"), "not protobuf at all");
    assertEquals(Main.EXIT_BAD_INPUT, run(sampleArgs(garbage, jsonl)));
    assertTrue(
        errText().startsWith("dllm sample: garbage.onnx is not an ONNX model (" + garbage + ")"),
        errText());
    assertFalse(Files.exists(jsonl));
  }

  @Test
  void sessionFailingMidSamplingWritesNothing() throws Exception {
    Path mdlm = export("mdlm", Attention.BIDIRECTIONAL, 1);
    OrtCalls calls = mock(OrtCalls.class, CALLS_REAL_METHODS);
    AtomicInteger runs = new AtomicInteger();
    doAnswer(
            inv -> {
              if (runs.getAndIncrement() == 5) {
                throw new OrtException("device lost");
              }
              return inv.callRealMethod();
            })
        .when(calls)
        .run(any(), anyMap(), anyMap());
    Path jsonl = tmp.resolve("out/samples.jsonl");
    Files.createDirectories(jsonl.getParent());
    SampleCommand command = new SampleCommand(calls);
    String[] args = sampleArgs(mdlm, jsonl);
    CommandLine cmd =
        new DefaultParser()
            .parse(command.options(), java.util.Arrays.copyOfRange(args, 1, args.length));
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> command.run(cmd, new PrintStream(out, true, StandardCharsets.UTF_8)));
    assertTrue(
        e.getMessage().startsWith("sampling failed in the batch of samples 2-3 of 4;"),
        e.getMessage());
    assertTrue(e.getMessage().contains("device lost"), e.getMessage());
    assertTrue(e.getMessage().endsWith("nothing was written to " + jsonl), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
    try (var files = Files.list(jsonl.getParent())) {
      assertEquals(List.of(), files.toList(), "no samples, report, temporary or partial files");
    }
  }
}

package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm import} → {@code export} → {@code sample} on an mdlm-owt-shaped folder. */
class ImportCommandTest {
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return Main.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** An mdlm-owt-shaped release (byte vocabulary): backbone.* tensors, flat config.json. */
  private Path release(boolean dropOne) throws Exception {
    DitConfig c = new DitConfig(260, 32, 2, 2, 16, BackboneSpec.Attention.BIDIRECTIONAL, 0);
    Map<String, Tensor> t = new LinkedHashMap<>();
    SplittableRandom r = new SplittableRandom(4);
    for (Map.Entry<String, int[]> e : DitLayout.shapes(c).entrySet()) {
      int n = 1;
      for (int s : e.getValue()) {
        n *= s;
      }
      float[] d = new float[n];
      for (int i = 0; i < n; i++) {
        d[i] = (float) (r.nextDouble() - 0.5) * 0.3f + (e.getKey().contains("norm") ? 1 : 0);
      }
      t.put("backbone." + e.getKey(), new Tensor(d, e.getValue()));
    }
    t.put("backbone.rotary_emb.inv_freq", new Tensor(new float[8], new int[] {8}));
    if (dropOne) {
      t.remove("backbone.blocks.0.mlp.2.bias");
    }
    Path dir = Files.createDirectories(tmp.resolve(dropOne ? "broken" : "mdlm-owt"));
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
    Files.writeString(
        dir.resolve("config.json"),
        "{\"model_type\": \"mdlm\", \"hidden_dim\": 32, \"n_blocks\": 2, \"n_heads\": 2,"
            + " \"cond_dim\": 16, \"model_length\": 16, \"vocab_size\": 260,"
            + " \"time_conditioning\": false}");
    return dir;
  }

  @Test
  void importExportSample() throws Exception {
    Path rel = release(false);
    Path ck = tmp.resolve("ck");
    String[] imp = {
      "import",
      "--from",
      rel.toString(),
      "--family",
      "mdlm",
      "--tokenizer",
      "byte",
      "--out",
      ck.toString()
    };
    assertEquals(0, run(imp), err.toString(StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("V=260, L=16, d=32, 2 blocks, 2 heads"), text);
    assertTrue(text.contains("license unknown"), text);
    Path ex = tmp.resolve("ex");
    assertEquals(0, run("export", "--checkpoint", ck.toString(), "--out", ex.toString()));
    Path jsonl = tmp.resolve("samples.jsonl");
    assertEquals(
        0,
        run(
            "sample",
            "--model",
            ex.toString(),
            "--num-samples",
            "2",
            "--steps",
            "4",
            "--out",
            jsonl.toString()),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(2, Files.readAllLines(jsonl).size());
    // a second import into the same folder is refused, and the first one is kept
    assertEquals(Main.EXIT_BAD_INPUT, run(imp));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("refusing to overwrite"));
    assertTrue(Files.isRegularFile(ck.resolve("model.safetensors")));
  }

  /** Issue 19 §2 for import: two processes, one --out; the second is refused and writes nothing. */
  @Test
  void anImportIntoAnOutputAnotherProcessHoldsIsRefused() throws Exception {
    Path rel = release(false);
    Path ck = tmp.resolve("held");
    try (LockHolderMain.Holder holder =
        new LockHolderMain.Holder(tmp.resolve("holder"), List.of(ck))) {
      int rc =
          run(
              "import",
              "--from",
              rel.toString(),
              "--family",
              "mdlm",
              "--tokenizer",
              "byte",
              "--out",
              ck.toString());
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(Main.EXIT_BAD_INPUT, rc, e);
      assertTrue(e.contains("is in use by another dllm process (pid " + holder.pid + " "), e);
      assertEquals(1, e.strip().lines().count(), e);
      assertFalse(Files.exists(ck), "nothing written while another process holds --out");
    }
  }

  @Test
  void aMissingTensorIsNamedWithExitTwoAndNothingWritten() throws Exception {
    Path rel = release(true);
    Path ck = tmp.resolve("ck2");
    int rc =
        run(
            "import",
            "--from",
            rel.toString(),
            "--family",
            "mdlm",
            "--tokenizer",
            "byte",
            "--out",
            ck.toString());
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(Main.EXIT_BAD_INPUT, rc, e);
    assertTrue(e.contains("1 missing tensors: blocks.0.mlp.2.bias"), e);
    assertFalse(e.contains("Exception"), e);
    assertFalse(Files.exists(ck));
    assertEquals(List.of(), List.of(tmp.toFile().list((d, n) -> n.startsWith(".ck2"))));
  }
}

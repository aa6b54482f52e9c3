package dev.dllm.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.trainer.model.DitInit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path tmp;

  private static final DitConfig CFG = new DitConfig(37, 64, 2, 2, 128, Attention.CAUSAL, 0.1);

  /** A tokenizer with state, standing in for the char-level one. */
  private record FakeTokenizer(String spec, Map<String, String> state) implements Tokenizer {
    @Override
    public int vocabSize() {
      return 37;
    }

    @Override
    public SpecialTokens specials() {
      return new SpecialTokens(0, 1, SpecialTokens.ABSENT, 36);
    }

    @Override
    public int[] encode(String text) {
      return new int[0];
    }

    @Override
    public String decode(int[] ids) {
      return "";
    }
  }

  private static Map<String, Tensor> optimizer(long seed) {
    DitWeights w = DitInit.random(CFG, seed, 1e-3);
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("m.blocks.0.attn_qkv.weight", w.get("blocks.0.attn_qkv.weight"));
    m.put("v.output_layer.linear.bias", w.get("output_layer.linear.bias"));
    m.put("step", new Tensor(new float[] {17f}, new int[] {}));
    return m;
  }

  private static Map<String, Object> training(int step) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("step", step);
    t.put("tokens_seen", 123_456_789_012L);
    t.put("lr", 3.0e-4);
    t.put("rng", "seed:7/split:3");
    t.put("losses", List.of(3.25, 2.5));
    t.put("nested", Map.of("ema", true));
    return t;
  }

  private static void assertBitExact(Map<String, Tensor> a, Map<String, Tensor> b) {
    assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k).shape(), b.get(k).shape(), k);
      float[] x = a.get(k).data();
      float[] y = b.get(k).data();
      assertEquals(x.length, y.length, k);
      for (int i = 0; i < x.length; i++) {
        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), k);
      }
    }
  }

  @Test
  void roundTripIsBitExact() throws IOException {
    Path vocabFile = tmp.resolve("tok.model");
    Files.writeString(vocabFile, "not really a model\u00e9");
    Tokenizer tok =
        new FakeTokenizer(
            "spm:" + vocabFile, Map.of("chars", "ab\n\"c\u0000\u00e9", "version", "2"));
    DitWeights w = DitInit.random(CFG, 3, 0.5);
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, w, optimizer(4), training(12), tok, "mdlm", "log-linear");
    Checkpoint.Loaded l = Checkpoint.load(dir);
    assertEquals(CFG, l.config());
    assertBitExact(w.tensors(), l.weights().tensors());
    assertBitExact(optimizer(4), l.optimizerState());
    Map<String, Object> t = l.trainingState();
    assertEquals(12, ((Number) t.get("step")).intValue());
    assertEquals(123_456_789_012L, ((Number) t.get("tokens_seen")).longValue());
    assertEquals(3.0e-4, ((Number) t.get("lr")).doubleValue());
    assertEquals("seed:7/split:3", t.get("rng"));
    assertEquals(List.of(3.25, 2.5), t.get("losses"));
    assertEquals(Map.of("ema", true), t.get("nested"));
    assertEquals("mdlm", l.family());
    assertEquals("log-linear", l.schedule());
    assertEquals(tok.state(), l.tokenizerState());
    assertEquals(tok.specials(), l.specials());
    // The tokenizer file travels with the checkpoint.
    Path stored = dir.resolve("tokenizer").resolve("tok.model");
    assertEquals("spm:" + stored, l.tokenizerSpec());
    assertEquals(Files.readString(vocabFile), Files.readString(stored));
  }

  @Test
  void overwriteReplacesAndLeavesNoDebris() throws IOException {
    Path dir = tmp.resolve("ck");
    Tokenizer tok = new FakeTokenizer("byte", Map.of());
    Checkpoint.save(dir, DitInit.random(CFG, 1, 0.5), Map.of(), training(1), tok, "x", null);
    DitWeights second = DitInit.random(CFG, 2, 0.5);
    Checkpoint.save(dir, second, optimizer(5), training(2), tok, "x", null);
    Checkpoint.Loaded l = Checkpoint.load(dir);
    assertBitExact(second.tensors(), l.weights().tensors());
    assertNull(l.schedule());
    assertEquals("byte", l.tokenizerSpec());
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(dir), s.toList());
    }
  }

  @Test
  void crashMidSaveKeepsPreviousCheckpoint() throws IOException {
    Path dir = tmp.resolve("ck");
    Tokenizer tok = new FakeTokenizer("byte", Map.of("k", "v"));
    DitWeights first = DitInit.random(CFG, 1, 0.5);
    Checkpoint.save(dir, first, optimizer(1), training(1), tok, "mdlm", null);
    for (String failAt : List.of("model.safetensors", "optimizer.safetensors", "config.json")) {
      assertThrows(
          UncheckedIOException.class,
          () ->
              Checkpoint.save(
                  dir,
                  DitInit.random(CFG, 9, 0.5),
                  optimizer(9),
                  training(9),
                  tok,
                  "mdlm",
                  null,
                  f -> {
                    if (f.equals(failAt)) {
                      throw new UncheckedIOException(new IOException("disk full at " + f));
                    }
                  }));
      Checkpoint.Loaded l = Checkpoint.load(dir);
      assertBitExact(first.tensors(), l.weights().tensors());
      assertBitExact(optimizer(1), l.optimizerState());
      assertEquals(1, ((Number) l.trainingState().get("step")).intValue());
      try (Stream<Path> s = Files.list(tmp)) {
        assertEquals(List.of(dir), s.toList(), "temporary files left after failing at " + failAt);
      }
    }
  }

  @Test
  void crashBetweenRenamesIsRecovered() throws IOException {
    Path dir = tmp.resolve("ck");
    DitWeights w = DitInit.random(CFG, 1, 0.5);
    Checkpoint.save(dir, w, Map.of(), Map.of(), new FakeTokenizer("byte", Map.of()), "ar", null);
    Files.move(dir, tmp.resolve(".ck.prev"));
    assertFalse(Files.exists(dir));
    assertBitExact(w.tensors(), Checkpoint.load(dir).weights().tensors());
  }

  @Test
  void truncatedTensorIsRejectedNamingIt() throws IOException {
    Path dir = tmp.resolve("ck");
    Checkpoint.save(
        dir,
        DitInit.random(CFG, 1, 0.5),
        Map.of(),
        Map.of(),
        new FakeTokenizer("byte", Map.of()),
        "ar",
        null);
    Path model = dir.resolve("model.safetensors");
    byte[] all = Files.readAllBytes(model);
    Files.write(model, java.util.Arrays.copyOf(all, all.length - 10));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("'output_layer.adaLN_modulation.bias'"), e.getMessage());
  }

  @Test
  void missingTensorIsRejectedNamingIt() throws IOException {
    Path dir = tmp.resolve("ck");
    DitWeights w = DitInit.random(CFG, 1, 0.5);
    Checkpoint.save(dir, w, Map.of(), Map.of(), new FakeTokenizer("byte", Map.of()), "ar", null);
    Map<String, Tensor> fewer = new LinkedHashMap<>(w.tensors());
    fewer.remove("blocks.1.norm2.weight");
    Safetensors.write(dir.resolve("model.safetensors"), fewer, Map.of());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("'blocks.1.norm2.weight'"), e.getMessage());
  }

  @Test
  void aFileGivenAsCheckpointIsNamedAsAFileNotAsMissing() throws IOException {
    Path file = Files.writeString(tmp.resolve("notes.txt"), "not a checkpoint");
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Checkpoint.load(file));
    assertTrue(e.getMessage().contains("is a file; expected a checkpoint folder"), e.getMessage());
    InvalidInputException missing =
        assertThrows(InvalidInputException.class, () -> Checkpoint.load(tmp.resolve("none")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  @Test
  void missingConfigFieldIsRejectedNamingIt() throws IOException {
    Path dir = tmp.resolve("ck");
    Checkpoint.save(
        dir,
        DitInit.random(CFG, 1, 0.5),
        Map.of(),
        Map.of(),
        new FakeTokenizer("byte", Map.of()),
        "ar",
        null);
    Path cfg = dir.resolve("config.json");
    Files.writeString(cfg, Files.readString(cfg).replace("\"n_heads\"", "\"n_headz\""));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Checkpoint.load(dir));
    assertTrue(e.getMessage().contains("n_headz"), e.getMessage());
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }

  @Test
  void foldersAndFilesFollowTheUmaskNotTempFilePermissions() throws IOException {
    Assumptions.assumeTrue(
        tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX only");
    Path dir = tmp.resolve("run").resolve("checkpoint");
    Tokenizer tok = new FakeTokenizer("byte", Map.of());
    Checkpoint.save(dir, DitInit.random(CFG, 1, 0.5), optimizer(2), training(1), tok, "x", null);
    // what the process gets for any folder/file it creates (0755/0644 under umask 022)
    Set<PosixFilePermission> dirPerms =
        Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("ref-dir")));
    Set<PosixFilePermission> filePerms =
        Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref-file")));
    assertEquals(dirPerms, Files.getPosixFilePermissions(dir));
    assertEquals(dirPerms, Files.getPosixFilePermissions(dir.resolve(Checkpoint.TOKENIZER_DIR)));
    for (String f :
        List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE, Checkpoint.CONFIG_FILE)) {
      assertEquals(filePerms, Files.getPosixFilePermissions(dir.resolve(f)), f);
    }
  }

  @Test
  void sameContentGivesByteIdenticalFiles() throws IOException {
    Tokenizer tok = new FakeTokenizer("byte", Map.of("a", "1"));
    DitWeights w = DitInit.random(CFG, 9, 0.5);
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Checkpoint.save(a, w, optimizer(3), training(5), tok, "mdlm", "log-linear");
    Checkpoint.save(b, w, optimizer(3), training(5), tok, "mdlm", "log-linear");
    for (String f :
        List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE, Checkpoint.CONFIG_FILE)) {
      assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }
    // the metadata is written in sorted key order, whatever the map's order
    assertEquals(
        List.of("family", "format"),
        List.copyOf(Safetensors.read(a.resolve(Checkpoint.MODEL_FILE)).metadata().keySet()));
  }
}

package dev.dllm.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import dev.dllm.trainer.imports.CheckpointImport;
import dev.dllm.trainer.imports.TorchPickle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code dllm import} refuses, and that the message names it. */
class ImportRefusalTest {
  @TempDir Path tmp;

  private DitWeights weights(Attention a) {
    return RandomDit.weights(ImportParityTest.tiny(ImportParityTest.BYTE_V, a), 11);
  }

  private InvalidInputException refused(Path from, String family, boolean ema, Path out) {
    return assertThrows(
        InvalidInputException.class,
        () ->
            CheckpointImport.run(
                new CheckpointImport.Options(from, family, "byte", ema, null, null, out)));
  }

  @Test
  void aPickleNamingAForeignGlobalIsRefusedWithoutRunningIt() throws Exception {
    DitWeights w = weights(Attention.BIDIRECTIONAL);
    Path marker = tmp.resolve("pwned");
    Path ckpt =
        PublishedFolders.lightning(
            tmp.resolve("evil/last.ckpt"),
            w,
            w,
            null,
            Map.of("callbacks", new PickleWriter.Call("os", "system", List.of("touch " + marker))));
    Path out = tmp.resolve("out");
    InvalidInputException e = refused(ckpt, "mdlm", false, out);
    assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
    assertTrue(e.getMessage().contains("last.ckpt"), e.getMessage());
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(marker));
  }

  @Test
  void aBuiltinCallOtherThanAPlainTypeIsRefused() {
    byte[] p = PickleWriter.pickle(new PickleWriter.Call("builtins", "eval", List.of("1+1")));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> TorchPickle.load(p, "x.pkl", id -> id));
    assertTrue(e.getMessage().contains("'builtins.eval'"), e.getMessage());
  }

  @Test
  void plainDataRoundTripsThroughTheReader() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", 3L);
    m.put("b", List.of("x", 2.5, true));
    m.put("c", null);
    m.put("big", 70000L);
    Object got = TorchPickle.load(PickleWriter.pickle(m), "x.pkl", id -> id);
    assertEquals(m, got);
  }

  @Test
  void everyMissingUnexpectedAndMisshapedTensorIsListedInOneMessage() throws Exception {
    DitWeights w = weights(Attention.BIDIRECTIONAL);
    Path rel = PublishedFolders.hfRelease(tmp.resolve("rel"), w, 16, false);
    Map<String, Tensor> t =
        new LinkedHashMap<>(Safetensors.read(rel.resolve("model.safetensors")).tensors());
    t.remove("backbone.blocks.1.attn_out.weight");
    t.remove("backbone.output_layer.linear.bias");
    t.put("backbone.blocks.0.extra.weight", new Tensor(new float[4], new int[] {2, 2}));
    t.put("backbone.blocks.0.norm1.weight", new Tensor(new float[31], new int[] {31}));
    Files.delete(rel.resolve("model.safetensors"));
    Safetensors.write(rel.resolve("model.safetensors"), t, Map.of());
    String m = refused(rel, "mdlm", false, tmp.resolve("out")).getMessage();
    for (String name :
        List.of(
            "2 missing tensors",
            "blocks.1.attn_out.weight",
            "output_layer.linear.bias",
            "1 unexpected tensors: backbone.blocks.0.extra.weight",
            "backbone.blocks.0.norm1.weight [31] (expected [32])")) {
      assertTrue(m.contains(name), name + " not in: " + m);
    }
  }

  @Test
  void aFolderOfNoKnownLayoutListsWhatItHolds() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("odd"));
    Files.writeString(dir.resolve("notes.txt"), "x");
    Files.writeString(dir.resolve("weights.npz"), "x");
    String m = refused(dir, "mdlm", false, tmp.resolve("out")).getMessage();
    assertTrue(m.contains("notes.txt") && m.contains("weights.npz"), m);
  }

  @Test
  void anExistingOutAndAWrongFamilyAreRefused() throws Exception {
    DitWeights w = weights(Attention.BIDIRECTIONAL);
    Path rel = PublishedFolders.hfRelease(tmp.resolve("duo"), w, 16, true);
    Path out = Files.createDirectories(tmp.resolve("taken"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    assertTrue(refused(rel, "duo", false, out).getMessage().contains("refusing to overwrite"));
    assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    String m = refused(rel, "mdlm", false, tmp.resolve("new")).getMessage();
    assertTrue(m.contains("time_conditioning true") && m.contains("family mdlm"), m);
    assertTrue(refused(rel, "duo", true, tmp.resolve("new")).getMessage().contains("--ema"));
  }
}

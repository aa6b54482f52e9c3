package dev.dllm.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigFileTest {
  @TempDir Path dir;

  @Test
  void readsReferenceYaml() throws IOException {
    Path f = dir.resolve("113M.yaml");
    Files.writeString(
        f,
        "name: 113M\ntype: ddit\nhidden_size: 768\ncond_dim: 128\nlength: 1024\n"
            + "n_blocks: 12\nn_heads: 12\nscale_by_sigma: True\ndropout: 0.1\n"
            + "tie_word_embeddings: False\n");
    ModelConfigFile m = ModelConfigFile.read(f);
    DitConfig c = m.toConfig(32001, Attention.CAUSAL);
    assertEquals(new DitConfig(32001, 768, 12, 12, 128, Attention.CAUSAL, 0.1), c);
    assertEquals("113M", m.name());
  }

  @Test
  void readsJsonWithDefaults() throws IOException {
    Path f = dir.resolve("m.json");
    Files.writeString(f, "{\"hidden_size\": 64, \"n_blocks\": 2, \"n_heads\": 2}");
    DitConfig c = ModelConfigFile.read(f).toConfig(50, Attention.BIDIRECTIONAL);
    assertEquals(new DitConfig(50, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.0), c);
    assertEquals(c, ModelConfigFile.resolve(f.toString(), 50, Attention.BIDIRECTIONAL));
    assertEquals(
        new DitConfig(50, 64, 2, 2, 128, Attention.BIDIRECTIONAL, 0.0),
        ModelConfigFile.resolve("xxs", 50, Attention.BIDIRECTIONAL));
  }

  private void expectError(String content, String... fragments) throws IOException {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, content);
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> ModelConfigFile.read(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    for (String s : fragments) {
      assertTrue(e.getMessage().contains(s), e.getMessage());
    }
  }

  @Test
  void unknownMissingAndBadFieldsAreNamed() throws IOException {
    expectError("hidden_size: 64\nn_blocks: 2\nn_heads: 2\nn_layers: 3\n", "'n_layers'");
    expectError("hidden_size: 64\nn_heads: 2\n", "'n_blocks'");
    expectError("hidden_size: 64\nn_blocks: two\nn_heads: 2\n", "'n_blocks'");
    expectError("hidden_size: 64\nn_blocks: 2\nn_heads: 3\n", "'n_heads'");
    expectError("hidden_size: 64\nn_blocks: 2\nn_heads: 2\nattention: sideways\n", "'attention'");
    expectError("hidden_size: [64\n", "cannot parse");
  }

  @Test
  void fileValuesMustAgreeWithTokenizerAndFamily() throws IOException {
    Path f = dir.resolve("m.yaml");
    Files.writeString(
        f, "hidden_size: 64\nn_blocks: 2\nn_heads: 2\nvocab_size: 10\nattention: causal\n");
    ModelConfigFile m = ModelConfigFile.read(f);
    assertEquals(10, m.toConfig(10, Attention.CAUSAL).vocabSize());
    assertThrows(InvalidInputException.class, () -> m.toConfig(11, Attention.CAUSAL));
    assertThrows(InvalidInputException.class, () -> m.toConfig(10, Attention.BIDIRECTIONAL));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> ModelConfigFile.resolve("nope", 10, Attention.CAUSAL));
    assertTrue(e.getMessage().contains("xxs"), e.getMessage());
  }
}

package dev.dllm.exporter;

import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.model.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Synthetic release folders laid out like the published checkpoints (tiny shapes, given weights):
 * the Hugging Face {@code mdlm-owt} / Duo save, the {@code PyTorchModelHubMixin} save the SDLLM
 * code implies, and a Lightning {@code .ckpt} (a {@code torch.save} zip with a protocol-2 pickle).
 */
final class PublishedFolders {
  private PublishedFolders() {}

  /** The inv_freq buffer every release keeps: 10000^(-2k/d_h), k < d_h/2. */
  static Tensor invFreq(DitConfig c) {
    int half = c.headDim() / 2;
    float[] f = new float[half];
    for (int k = 0; k < half; k++) {
      f[k] = (float) Math.pow(10000, -2.0 * k / c.headDim());
    }
    return new Tensor(f, new int[] {half});
  }

  /**
   * {@code kuleshov-group/mdlm-owt} / {@code s-sahoo/duo}: {@code model.safetensors} with every
   * tensor under {@code backbone.} (and the rotary buffer), a flat {@code config.json} and a model
   * card with a license line.
   */
  static Path hfRelease(Path dir, DitWeights w, int length, boolean timeConditioning)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> t = new LinkedHashMap<>();
    w.tensors().forEach((k, v) -> t.put("backbone." + k, v));
    t.put("backbone.rotary_emb.inv_freq", invFreq(w.config()));
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
    DitConfig c = w.config();
    Files.writeString(
        dir.resolve("config.json"),
        String.format(
            "{\"architectures\": [\"MDLM\"], \"model_type\": \"mdlm\", \"hidden_dim\": %d,"
                + " \"n_blocks\": %d, \"n_heads\": %d, \"cond_dim\": %d, \"model_length\": %d,"
                + " \"vocab_size\": %d, \"dropout\": 0.1, \"time_conditioning\": %s}",
            c.hidden(),
            c.blocks(),
            c.heads(),
            c.condDim(),
            length,
            c.vocabSize(),
            timeConditioning));
    Files.writeString(
        dir.resolve("README.md"),
        "---\nlibrary_name: transformers\nlicense: apache-2.0\n---\n# x\n");
    return dir;
  }

  /**
   * A {@code PyTorchModelHubMixin} save of the scaling-dllms {@code DiT} (SDLLM): unprefixed names
   * with the rotary buffer, {@code config.json} = {@code {"config": {model, algo}, "vocab_size"}}.
   */
  static Path hubMixinRelease(Path dir, DitWeights w, int length, boolean causal)
      throws IOException {
    Files.createDirectories(dir);
    Map<String, Tensor> t = new LinkedHashMap<>(w.tensors());
    t.put("rotary_emb.inv_freq", invFreq(w.config()));
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of("format", "pt"));
    DitConfig c = w.config();
    Files.writeString(
        dir.resolve("config.json"),
        String.format(
            "{\"config\": {\"model\": {\"name\": \"2121M\", \"type\": \"ddit\", \"hidden_size\": %d,"
                + " \"cond_dim\": %d, \"length\": %d, \"n_blocks\": %d, \"n_heads\": %d,"
                + " \"scale_by_sigma\": true, \"dropout\": 0.1, \"tie_word_embeddings\": false},"
                + " \"algo\": {\"causal_attention\": %s, \"adaLN\": true,"
                + " \"time_conditioning\": false}}, \"vocab_size\": %d}",
            c.hidden(), c.condDim(), length, c.blocks(), c.heads(), causal, c.vocabSize()));
    Files.writeString(dir.resolve("README.md"), "---\nlicense: cc-by-nc-4.0\n---\n");
    return dir;
  }

  /** An OmegaConf node as torch.save pickles it (inert data for the reader). */
  static Object dictConfig(Map<String, Object> content) {
    Map<String, Object> c = new LinkedHashMap<>();
    content.forEach(
        (k, v) ->
            c.put(
                k,
                v instanceof Map<?, ?> m
                    ? dictConfig(castMap(m))
                    : new PickleWriter.Obj(
                        "omegaconf.nodes", "AnyNode", Map.of("_val", v, "_parent", "x"))));
    Map<String, Object> state = new LinkedHashMap<>();
    state.put(
        "_metadata",
        new PickleWriter.Obj(
            "omegaconf.base",
            "ContainerMetadata",
            Map.of("ref_type", new PickleWriter.Call("typing", "Any", List.of()))));
    state.put("_content", c);
    return new PickleWriter.Obj("omegaconf.dictconfig", "DictConfig", state);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  /**
   * A Lightning checkpoint ({@code torch.save} zip, STORED entries under {@code archive/}): {@code
   * state_dict} with {@code backbone.*} (+ the rotary buffer and a {@code noise.*} buffer), an
   * {@code ema} entry with {@code shadow} as {@code shadow_params} in named_parameters() order, and
   * {@code hyper_parameters} = {@code {config: DictConfig}} when {@code hp} is not null.
   *
   * @param extra more root entries (e.g. a foreign global)
   */
  static Path lightning(
      Path file, DitWeights w, DitWeights shadow, Map<String, Object> hp, Map<String, Object> extra)
      throws IOException {
    Map<String, byte[]> storages = new LinkedHashMap<>();
    Map<String, Object> sd = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : w.tensors().entrySet()) {
      sd.put("backbone." + e.getKey(), storage(storages, e.getValue()));
    }
    sd.put("backbone.rotary_emb.inv_freq", storage(storages, invFreq(w.config())));
    sd.put("noise.sigma_max", storage(storages, new Tensor(new float[] {20f}, new int[0])));
    List<Object> shadowList = new ArrayList<>();
    for (Tensor t : shadow.tensors().values()) {
      shadowList.add(storage(storages, t));
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("epoch", 3);
    root.put("global_step", 1000);
    root.put("pytorch-lightning_version", "2.2.1");
    root.put("state_dict", new PickleWriter.Ordered(sd));
    root.put("ema", Map.of("decay", 0.9999, "num_updates", 1000, "shadow_params", shadowList));
    if (hp != null) {
      root.put("hyper_parameters", Map.of("config", dictConfig(hp)));
    }
    root.putAll(extra);
    byte[] pkl = PickleWriter.pickle(root);
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      stored(zip, "archive/data.pkl", pkl);
      stored(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
      for (Map.Entry<String, byte[]> e : storages.entrySet()) {
        stored(zip, "archive/data/" + e.getKey(), e.getValue());
      }
      stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return file;
  }

  private static PickleWriter.Storage storage(Map<String, byte[]> storages, Tensor t) {
    String key = Integer.toString(storages.size());
    ByteBuffer b = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(t.data());
    storages.put(key, b.array());
    long[] shape = new long[t.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.shape()[i];
    }
    return new PickleWriter.Storage(key, "FloatStorage", shape);
  }

  private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}

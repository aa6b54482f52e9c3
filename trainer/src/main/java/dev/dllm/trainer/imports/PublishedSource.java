package dev.dllm.trainer.imports;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.Safetensors;
import dev.dllm.api.model.Tensor;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The weights of a downloaded release, before mapping: one of the published layouts, recognised
 * from the files in {@code --from} —
 *
 * <ul>
 *   <li>{@code model.safetensors} (+ {@code config.json}): {@code kuleshov-group/mdlm-owt}, {@code
 *       s-sahoo/duo}, {@code s-sahoo/duo-distilled} (tensors under {@code backbone.}) and a {@code
 *       PyTorchModelHubMixin} save of the scaling-dllms {@code DiT} (the layout the SDLLM 1.7B code
 *       implies: no prefix, {@code rotary_emb.inv_freq} kept);
 *   <li>{@code model.safetensors.index.json} with its shards;
 *   <li>a Lightning {@code .ckpt} (or {@code pytorch_model.bin}): a {@code torch.save} zip read by
 *       {@link TorchZip}, whose {@code state_dict} holds {@code backbone.*} and whose {@code
 *       ema.shadow_params} lists the EMA weights in {@code named_parameters()} order.
 * </ul>
 */
public final class PublishedSource implements Closeable {
  /** Source name to its shape, in file order (the EMA view keeps the state_dict names). */
  private final LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();

  private final Map<String, TensorRef> refs = new LinkedHashMap<>();
  private final Map<String, Path> shardOf = new LinkedHashMap<>();
  private final List<String> ignored = new ArrayList<>();
  private final List<Path> files = new ArrayList<>();
  private final Path folder;
  private String layout;
  private PublishedConfig config;
  private TorchZip zip;
  private Map<Path, Map<String, Tensor>> loaded = new LinkedHashMap<>();

  private PublishedSource(Path folder) {
    this.folder = folder;
  }

  /**
   * Recognises and opens the release at {@code from} (a folder, or a {@code .ckpt} file).
   *
   * @param ema take {@code ema.shadow_params} instead of the {@code state_dict} (Lightning only)
   * @throws InvalidInputException listing the files found when {@code from} matches no layout, when
   *     {@code --ema} is asked of a layout without EMA weights, or when a file is malformed
   */
  public static PublishedSource open(Path from, boolean ema) throws IOException {
    if (!Files.exists(from)) {
      throw new InvalidInputException("--from " + from + " does not exist");
    }
    Path folder = Files.isDirectory(from) ? from : from.toAbsolutePath().getParent();
    PublishedSource s = new PublishedSource(folder);
    try {
      if (Files.isRegularFile(from)) {
        String n = from.getFileName().toString();
        if (n.endsWith(".safetensors")) {
          s.safetensors(List.of(from), ema);
        } else {
          s.torch(from, ema);
        }
        return s;
      }
      Path index = from.resolve("model.safetensors.index.json");
      Path single = from.resolve("model.safetensors");
      List<String> names = list(from);
      List<Path> st = filesEnding(from, names, ".safetensors");
      List<Path> ck = filesEnding(from, names, ".ckpt");
      if (Files.isRegularFile(single)) {
        s.safetensors(List.of(single), ema);
      } else if (Files.isRegularFile(index)) {
        s.safetensors(shards(index), ema);
      } else if (st.size() == 1) {
        s.safetensors(st, ema);
      } else if (ck.size() == 1) {
        s.torch(ck.get(0), ema);
      } else if (Files.isRegularFile(from.resolve("pytorch_model.bin"))) {
        s.torch(from.resolve("pytorch_model.bin"), ema);
      } else {
        String why =
            ck.size() > 1 || st.size() > 1
                ? "it holds several checkpoints; pass one file as --from"
                : "it holds none of the published layouts (model.safetensors [+ config.json],"
                    + " model.safetensors.index.json with shards, a Lightning .ckpt,"
                    + " pytorch_model.bin)";
        throw new InvalidInputException(
            "--from " + from + ": " + why + "; found: " + (names.isEmpty() ? "nothing" : names));
      }
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> st = Files.list(dir)) {
      return st.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
    }
  }

  private static List<Path> filesEnding(Path dir, List<String> names, String ext) {
    return names.stream().filter(n -> n.endsWith(ext)).map(dir::resolve).toList();
  }

  private static List<Path> shards(Path index) throws IOException {
    PublishedConfig c = PublishedConfig.fromFile(index);
    if (!(c.find("weight_map") instanceof Map<?, ?> wm) || wm.isEmpty()) {
      throw new InvalidInputException(index + ": missing field 'weight_map'");
    }
    List<Path> out = new ArrayList<>();
    for (Object f : wm.values()) {
      Path p = index.resolveSibling(String.valueOf(f));
      if (!out.contains(p)) {
        if (!Files.isRegularFile(p)) {
          throw new InvalidInputException(index + " names shard " + p + ", which is missing");
        }
        out.add(p);
      }
    }
    return out;
  }

  private void safetensors(List<Path> shardFiles, boolean ema) throws IOException {
    if (ema) {
      throw new InvalidInputException(
          "--ema needs a Lightning .ckpt with an 'ema' entry; "
              + shardFiles.get(0)
              + " is a safetensors release, which already holds the published weights");
    }
    layout = shardFiles.size() == 1 ? "safetensors" : "sharded safetensors";
    for (Path f : shardFiles) {
      files.add(f);
      for (Map.Entry<String, Safetensors.Entry> e : Safetensors.entries(f).entrySet()) {
        long[] s = e.getValue().shape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
          shape[i] = Math.toIntExact(s[i]);
        }
        shapes.put(e.getKey(), shape);
        shardOf.put(e.getKey(), f);
      }
    }
    config = PublishedConfig.fromFolder(folder);
  }

  private void torch(Path file, boolean ema) throws IOException {
    files.add(file);
    zip = TorchZip.open(file);
    Object root = zip.root();
    Map<?, ?> top = root instanceof Map<?, ?> m ? m : Map.of();
    Object sd = top.containsKey("state_dict") ? top.get("state_dict") : root;
    if (!(sd instanceof Map<?, ?> stateDict)) {
      throw new InvalidInputException(
          file + ": the pickled object is not a state_dict or a Lightning checkpoint");
    }
    layout = top.containsKey("state_dict") ? "lightning ckpt" : "torch state_dict";
    boolean prefixed =
        stateDict.keySet().stream().anyMatch(k -> ((String) k).startsWith("backbone."));
    List<String> params = new ArrayList<>();
    for (Map.Entry<?, ?> e : stateDict.entrySet()) {
      String name = String.valueOf(e.getKey());
      if (!(e.getValue() instanceof TensorRef t)) {
        continue;
      }
      if (prefixed && !name.startsWith("backbone.")) {
        ignored.add(name);
        continue;
      }
      shapes.put(name, t.shape());
      refs.put(name, t);
      if (!WeightNames.isBuffer(name)) {
        params.add(name);
      }
    }
    if (ema) {
      Object e = top.get("ema");
      Object shadow = e instanceof Map<?, ?> em ? em.get("shadow_params") : null;
      if (!(shadow instanceof List<?> list)) {
        throw new InvalidInputException(
            file
                + ": --ema needs an 'ema' entry with 'shadow_params'; the checkpoint has "
                + top.keySet());
      }
      if (list.size() < params.size()) {
        throw new InvalidInputException(
            file
                + ": ema.shadow_params has "
                + list.size()
                + " tensors, the backbone has "
                + params.size()
                + " parameters");
      }
      for (int i = 0; i < params.size(); i++) {
        String n = params.get(i);
        if (!(list.get(i) instanceof TensorRef t)
            || !java.util.Arrays.equals(t.shape(), refs.get(n).shape())) {
          throw new InvalidInputException(
              file
                  + ": ema.shadow_params["
                  + i
                  + "] ("
                  + list.get(i)
                  + ") does not match "
                  + "parameter '"
                  + n
                  + "' "
                  + java.util.Arrays.toString(refs.get(n).shape())
                  + " (named_parameters() order)");
        }
        refs.put(n, t);
      }
      layout += " (ema)";
    }
    PublishedConfig hp =
        PublishedConfig.fromHyperParameters(top.get("hyper_parameters"), file.toString());
    config = hp.source().equals("none") ? PublishedConfig.fromFolder(folder) : hp;
  }

  /** Tensor names in file order with their shapes. */
  public Map<String, int[]> shapes() {
    return shapes;
  }

  /** State-dict entries outside {@code backbone.} (noise schedule, teacher, ...), not imported. */
  public List<String> ignored() {
    return ignored;
  }

  /** The layout recognised, e.g. {@code safetensors} or {@code lightning ckpt (ema)}. */
  public String layout() {
    return layout;
  }

  /** The weight files read (for the checksum). */
  public List<Path> files() {
    return files;
  }

  /** The folder the release came in (model card, config). */
  public Path folder() {
    return folder;
  }

  /** The model description found with the weights. */
  public PublishedConfig config() {
    return config;
  }

  /** Reads one tensor as float32. */
  public Tensor read(String name) throws IOException {
    if (zip != null) {
      return zip.read(name, refs.get(name));
    }
    Path f = shardOf.get(name);
    Map<String, Tensor> all = loaded.get(f);
    if (all == null) {
      loaded.clear(); // one shard in memory at a time
      all = Safetensors.read(f).tensors();
      loaded.put(f, all);
    }
    return all.get(name);
  }

  @Override
  public void close() throws IOException {
    loaded = new LinkedHashMap<>();
    if (zip != null) {
      zip.close();
    }
  }
}

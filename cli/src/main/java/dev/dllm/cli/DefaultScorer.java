package dev.dllm.cli;

import dev.dllm.data.DllmCache;
import dev.dllm.eval.EvalFiles;
import dev.dllm.exporter.CheckpointExport;
import dev.dllm.trainer.TrainConfig;
import dev.dllm.trainer.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The gen-PPL scorer used when {@code --scorer train-default} is given ({@code --scorer default} is
 * the one bundled in the jar, {@link BundledScorer}): an AR model stronger than the models it
 * judges, trained by dllm itself once on first use and cached ({@code
 * <cache>/scorers/<recipe>-<corpus hash>/onnx}, see {@link DllmCache}). The recipe is AR, preset
 * {@code s}, char tokenizer, L 256, B 32, 4e13 FLOPs on the same corpus ({@link #RECIPE}; the issue
 * measured val PPL 7.74 for it on Tiny Shakespeare); the exact command is written next to the
 * export as {@code recipe.txt}. An interrupted first training resumes on the next call.
 */
public final class DefaultScorer {
  private DefaultScorer() {}

  /** The command that reproduces the default scorer (DATA and DIR filled in). */
  public static final String RECIPE =
      "dllm train --family ar --preset s --tokenizer char --seq-len 256 --batch 32 --flops 4e13"
          + " --threads 1 --checkpoint-every 50 --data DATA --out DIR && dllm export --checkpoint"
          + " DIR/checkpoint --out DIR/onnx";

  /** The recipe's training options on {@code data} (null = the bundled corpus). */
  public static TrainConfig.Builder recipe(Path data) {
    return TrainConfig.builder()
        .family("ar")
        .preset("s")
        .tokenizer("char")
        .seqLen(256)
        .batch(32)
        .flops(4e13)
        .threads(1)
        .checkpointEvery(50)
        .data(data);
  }

  /** The cached export for {@code data}, training and exporting it first when missing. */
  public static Path ensure(Path data, PrintStream log) throws IOException {
    Path dir = DllmCache.root().resolve("scorers").resolve("ar-s-4e13-char-L256-" + key(data));
    return ensure(recipe(data), dir, RECIPE, log);
  }

  /**
   * The export under {@code dir/onnx}, made by training {@code recipe} into {@code dir} when it is
   * missing (resuming an unfinished checkpoint).
   */
  static Path ensure(TrainConfig.Builder recipe, Path dir, String command, PrintStream log)
      throws IOException {
    Path onnx = dir.resolve("onnx");
    if (Files.isRegularFile(onnx.resolve("model.onnx"))) {
      return onnx;
    }
    Sweep.State s = Sweep.state(dir);
    if (s != Sweep.State.FINISHED) {
      log.println("training the default gen-PPL scorer once (cached in " + dir + "): " + command);
      new Trainer(recipe.out(dir).resume(s == Sweep.State.INTERRUPTED ? dir : null).build(), log)
          .run();
    }
    Path tmp = dir.resolve("onnx.tmp");
    deleteTree(tmp);
    CheckpointExport.export(dir.resolve("checkpoint"), tmp, 0);
    Files.move(tmp, onnx);
    EvalFiles.writeString(dir.resolve("recipe.txt"), command + "\n");
    return onnx;
  }

  private static String key(Path data) {
    String id = data == null ? "bundled" : data.toAbsolutePath().normalize().toString();
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}

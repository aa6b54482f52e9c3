package dev.dllm.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.model.DitConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a user would run instead: {@code shared/tools/ref_dit.py}, a plain PyTorch training loop of
 * the same DiT, AdamW and data, timed for the same model, batch, length and threads. Found through
 * {@code -Ddllm.shared} / {@code $DLLM_SHARED}; runs with Debian's {@code /usr/bin/python3} and
 * {@code python3-torch} when installed (otherwise {@link #available} is false and bench-train
 * prints only our numbers).
 */
public final class RefDitBench {
  private static final Path PYTHON = Path.of("/usr/bin/python3");

  private RefDitBench() {}

  /** The reference script, or null when the shared folder or Python with torch is missing. */
  public static Path script() {
    String shared = System.getProperty("dllm.shared", System.getenv("DLLM_SHARED"));
    if (shared == null) {
      return null;
    }
    Path p = Path.of(shared, "tools", "ref_dit.py");
    return Files.isRegularFile(p) && Files.isExecutable(PYTHON) ? p : null;
  }

  /** Whether the reference can run here ({@code import torch} succeeds). */
  public static boolean available() {
    if (script() == null) {
      return false;
    }
    try {
      Process p =
          new ProcessBuilder(PYTHON.toString(), "-c", "import torch")
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The reference script's {@code --family}: its causal model or its bidirectional one. */
  static String refFamily(DitConfig shape) {
    return shape.attention() == dev.dllm.api.model.BackboneSpec.Attention.CAUSAL ? "ar" : "mdlm";
  }

  /**
   * Training tokens/s of the reference loop ({@code train_tokens_per_s}, wall clock over all its
   * steps, validation excluded).
   *
   * @param family our family (for the caller's table); the reference loop runs its causal ({@code
   *     ar}) model for a causal {@code shape} and its bidirectional ({@code mdlm}) one otherwise,
   *     the only two it has
   * @param shape the DiT shape (hidden size, blocks, heads; its vocabulary is the corpus'
   *     characters + 1 mask + unused extra ids, so V matches ours with {@code --extra-tokens})
   * @param steps optimizer steps to time
   * @throws IOException when the script fails (its last output lines are in the message)
   */
  public static double tokensPerSecond(
      String family, DitConfig shape, int seqLen, int batch, int threads, int steps)
      throws IOException {
    Path script = script();
    if (script == null) {
      throw new IOException("ref_dit.py or /usr/bin/python3 not found");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(PYTHON.toString());
    cmd.add(script.toString());
    cmd.addAll(
        List.of(
            "--family", refFamily(shape),
            "--objective", "low_var",
            "--d", Integer.toString(shape.hidden()),
            "--blocks", Integer.toString(shape.blocks()),
            "--heads", Integer.toString(shape.heads()),
            "--seq", Integer.toString(seqLen),
            "--batch", Integer.toString(batch),
            "--threads", Integer.toString(threads),
            "--tokens", Long.toString((long) steps * batch * seqLen),
            "--extra-tokens", Integer.toString(Math.max(0, shape.vocabSize() - 66)),
            "--val-frac", "0.002"));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
        throw new IOException("ref_dit.py failed: " + tail(out));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    String[] lines = out.strip().split("\n");
    JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
    return j.get("train_tokens_per_s").asDouble();
  }

  private static String tail(String s) {
    return s.length() > 400 ? s.substring(s.length() - 400) : s;
  }
}

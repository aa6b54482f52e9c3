package dev.dllm.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.TokenBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batch of a step whose loss or gradient became non-finite, saved as {@code
 * diverged-step-N.json} in the run folder so the step can be replayed: the token ids {@code [B,
 * L]}, the step (1-based, as the message says), the run seed and the step's Rng / engine seed
 * ({@code seed·1000003 + step}), and what went wrong.
 */
final class DivergedBatch {
  private DivergedBatch() {}

  /**
   * Writes the file atomically.
   *
   * @param step the 0-based step
   * @return the file written
   */
  static Path write(TrainConfig config, long step, String what, TokenBatch x0) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step + 1);
    m.put("what", what);
    m.put("family", config.family());
    m.put("seed", config.seed());
    m.put("step_seed", config.seed() * Trainer.SEED_STRIDE + step);
    m.put("batch", x0.batch());
    m.put("seq_len", x0.length());
    int[][] rows = new int[x0.batch()][];
    for (int b = 0; b < x0.batch(); b++) {
      rows[b] = java.util.Arrays.copyOfRange(x0.ids(), b * x0.length(), (b + 1) * x0.length());
    }
    m.put("ids", rows);
    Path dir = config.out();
    Files.createDirectories(dir);
    Path target = dir.resolve("diverged-step-" + (step + 1) + ".json");
    Path tmp = Files.createTempFile(dir, "diverged", ".tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), m);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }
}

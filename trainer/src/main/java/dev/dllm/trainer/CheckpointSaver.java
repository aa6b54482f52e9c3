package dev.dllm.trainer;

import dev.dllm.api.model.Tensor;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.optim.AdamW;
import dev.dllm.trainer.optim.Ema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the run's checkpoint ({@code out/checkpoint}, atomically through {@link Checkpoint#save})
 * with the training state of the current step: the model, the AdamW and EMA tensors, and in {@code
 * config.json} the step counts, the options a resume checks ({@link ResumeState}), the loss trace,
 * the seconds trained so far and every option of the run ({@link StoredRunConfig}, which {@code
 * --resume} reads so that the options need not be repeated).
 */
final class CheckpointSaver {
  private final TrainConfig config;
  private final RunSetup setup;
  private final DitModel model;
  private final AdamW adam;
  private final Ema ema;

  /**
   * @param ema the EMA, or null when the run keeps none
   */
  CheckpointSaver(TrainConfig config, RunSetup setup, DitModel model, AdamW adam, Ema ema) {
    this.config = config;
    this.setup = setup;
    this.model = model;
    this.adam = adam;
    this.ema = ema;
  }

  /**
   * Saves the state after {@code step} steps.
   *
   * @param seconds training wall clock of the whole run so far
   * @throws UncheckedIOException when writing fails (the previous checkpoint is kept)
   */
  void save(long step, double seconds) {
    Map<String, Tensor> opt = new LinkedHashMap<>(adam.stateTensors());
    if (ema != null) {
      opt.putAll(ema.stateTensors());
    }
    List<Double> trace = setup.start().trace();
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("step", step);
    state.put("total_steps", setup.totalSteps());
    state.put("adam_step", adam.stepCount());
    state.put("ema_updates", ema != null ? ema.updates() : 0L);
    state.put("seed", config.seed());
    state.put("objective", setup.objectiveName());
    state.put("preset", config.modelConfig() != null ? null : config.preset());
    state.put(
        "model_config", config.modelConfig() != null ? config.modelConfig().toString() : null);
    state.put("tokenizer", config.tokenizer());
    state.put("lr", config.lr());
    state.put("min_lr", config.minLr());
    state.put("warmup", setup.warmup());
    state.put("batch", config.batch());
    state.put("seq_len", config.seqLen());
    state.put("seconds", seconds);
    state.put("last_loss", trace.isEmpty() ? null : trace.get(trace.size() - 1));
    state.put("loss_trace", new ArrayList<>(trace));
    state.put("family_options", config.familyTraining().options());
    state.put("teacher_refresh", config.familyTraining().teacherRefresh());
    state.put(StoredRunConfig.KEY, StoredRunConfig.toState(config, setup.objectiveName()));
    Path dir = config.checkpointDir();
    boolean hadPrevious = Files.isDirectory(dir);
    try {
      Checkpoint.save(dir, model.toWeights(), opt, state, setup.tokenizer(), setup.family().name());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the checkpoint "
              + dir
              + (hadPrevious ? " (the previous one is kept)" : "")
              + ": "
              + e.getMessage(),
          e);
    }
  }
}

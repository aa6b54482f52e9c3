package dev.dllm.trainer;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.ModelConfigFile;

/**
 * The model shape of a run: from {@code --preset} or {@code --model-config} (with the tokenizer's
 * vocabulary, the family's attention and {@code --dropout}), or the checkpoint's when the run
 * resumes or starts from one.
 */
final class ModelShape {
  private ModelShape() {}

  /**
   * The shape to train.
   *
   * @param init the {@code --init-from} checkpoint, or null
   * @param resumed the {@code --resume} checkpoint, or null
   * @throws InvalidInputException when a resumed checkpoint's shape differs from the options', or
   *     the shape's vocabulary differs from the tokenizer's
   */
  static DitConfig resolve(
      TrainConfig config,
      DiffusionFamily family,
      Tokenizer tokenizer,
      Checkpoint.Loaded init,
      Checkpoint.Loaded resumed) {
    if (config.preset() == null && config.modelConfig() == null) {
      // no model option: the shape of the checkpoint started from (fine-tuning) or resumed
      Checkpoint.Loaded from = resumed != null ? resumed : init;
      if (from == null) {
        throw new InvalidInputException("--preset or --model-config is required");
      }
      return requireVocabulary(from.weights().config(), tokenizer);
    }
    DitConfig requested =
        withDropout(
            ModelConfigFile.resolve(
                name(config), tokenizer.vocabSize(), family.backbone().attention()),
            config.dropout());
    DitConfig shape = init != null ? init.weights().config() : requested;
    if (resumed != null) {
      shape = resumed.weights().config();
      if (!withDropout(requested, shape.dropout()).equals(shape)) {
        throw new InvalidInputException(
            "--resume "
                + config.resume()
                + ": the checkpoint's model is "
                + describe(shape)
                + " but "
                + option(config)
                + " gives "
                + describe(requested)
                + "; resume with the same options");
      }
    }
    return requireVocabulary(shape, tokenizer);
  }

  private static DitConfig requireVocabulary(DitConfig shape, Tokenizer tokenizer) {
    if (shape.vocabSize() != tokenizer.vocabSize()) {
      throw new InvalidInputException(
          "model vocabulary "
              + shape.vocabSize()
              + " differs from the tokenizer's "
              + tokenizer.vocabSize());
    }
    return shape;
  }

  /** The model option as given: the --model-config path, else the preset name. */
  static String name(TrainConfig config) {
    return config.modelConfig() != null ? config.modelConfig().toString() : config.preset();
  }

  /**
   * The model option as the user would type it, e.g. {@code --preset xs}; {@code --init-from DIR}
   * when the shape is the checkpoint's.
   */
  static String option(TrainConfig config) {
    if (config.modelConfig() == null && config.preset() == null) {
      return "--init-from " + config.familyTraining().initFrom();
    }
    return config.modelConfig() != null
        ? "--model-config " + config.modelConfig()
        : "--preset " + config.preset();
  }

  private static String describe(DitConfig c) {
    return "hidden "
        + c.hidden()
        + ", "
        + c.blocks()
        + " blocks, "
        + c.heads()
        + " heads, cond "
        + c.condDim()
        + ", vocab "
        + c.vocabSize();
  }

  private static DitConfig withDropout(DitConfig c, double dropout) {
    return new DitConfig(
        c.vocabSize(), c.hidden(), c.blocks(), c.heads(), c.condDim(), c.attention(), dropout);
  }
}

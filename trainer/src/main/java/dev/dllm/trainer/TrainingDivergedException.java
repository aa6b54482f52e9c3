package dev.dllm.trainer;

/**
 * The training loss or the gradient norm became NaN or infinite. Training stops before the
 * optimizer applies the step; the message names the step and the last good checkpoint, which is
 * left untouched.
 */
public class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}

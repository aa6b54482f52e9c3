package dev.dllm.trainer.autograd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;

/**
 * Scalar constants for the autograd path that live as long as their owner (a model or a training
 * run), one float32 0-d array per distinct value.
 *
 * <p>Why (issue 7 §1): DJL's {@code Number} overloads of mul, div and pow create a scalar array
 * over a Java direct buffer (PyTorch's {@code from_blob} aliases it on CPU), run the op and close
 * the scalar at once. Autograd keeps that scalar for the backward of mul, div, pow, maximum and
 * minimum; once the garbage collector frees the buffer, backward reads freed memory and the
 * gradients upstream become garbage (seen as a rare "gradient norm is NaN" stop). Arrays from this
 * pool are never closed before their owner, so backward always reads them.
 *
 * <p>Thread-safe. Closing the owner's manager frees the constants.
 */
public final class ConstantPool {
  private final NDManager manager;
  private final Map<Integer, NDArray> cache = new HashMap<>();

  /**
   * @param owner the manager that outlives every backward pass using these constants (a sub-manager
   *     is created in it)
   */
  public ConstantPool(NDManager owner) {
    this.manager = owner.newSubManager();
  }

  /** The float32 scalar {@code (float) value}, created on first use and cached. */
  public synchronized NDArray of(double value) {
    float f = (float) value;
    return cache.computeIfAbsent(Float.floatToIntBits(f), k -> manager.create(f));
  }

  /** Number of distinct constants held (for tests). */
  public synchronized int size() {
    return cache.size();
  }
}

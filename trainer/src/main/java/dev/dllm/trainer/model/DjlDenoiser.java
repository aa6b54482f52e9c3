package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;

/**
 * A {@link Denoiser} over a {@link DitModel} (evaluation during training): runs the forward with
 * gradients off in a scratch sub-manager and copies the logits {@code [B, L, V]} out as float32.
 * Residual dropout is switched off for the call. Closing the denoiser does not close the model
 * unless it was created with {@code ownsModel}.
 */
public final class DjlDenoiser implements Denoiser {
  private final DitModel model;
  private final boolean ownsModel;

  /** A denoiser over {@code model}; the caller keeps ownership of the model. */
  public DjlDenoiser(DitModel model) {
    this(model, false);
  }

  /**
   * @param ownsModel whether {@link #close()} closes the model
   */
  public DjlDenoiser(DitModel model, boolean ownsModel) {
    this.model = model;
    this.ownsModel = ownsModel;
  }

  /** The wrapped model. */
  public DitModel model() {
    return model;
  }

  @Override
  public int vocabSize() {
    return model.config().vocabSize();
  }

  /**
   * Logits of {@code tokens} {@code [B, L]} at {@code sigma} {@code [B]} (null = zeros).
   *
   * @throws IllegalArgumentException when a token id is outside [0, V) or sigma has the wrong
   *     length
   */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    return forward(tokens, sigma, null);
  }

  /** Accepts any layout: explicit rotary positions and an additive attention mask. */
  @Override
  public boolean supportsLayout() {
    return true;
  }

  /**
   * Logits with explicit rotary positions and attention ({@code layout}; null = the model's own
   * pattern and positions 0..L-1).
   *
   * @throws IllegalArgumentException when a token id is outside [0, V), sigma has the wrong length
   *     or the layout's shape differs from the tokens'
   */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    int b = tokens.batch();
    int len = tokens.length();
    int v = vocabSize();
    long[] ids = new long[tokens.ids().length];
    for (int i = 0; i < ids.length; i++) {
      int id = tokens.ids()[i];
      if (id < 0 || id >= v) {
        throw new IllegalArgumentException(
            "token id " + id + " at " + i + " is outside [0, " + v + ")");
      }
      ids[i] = id;
    }
    if (sigma != null && sigma.length != b) {
      throw new IllegalArgumentException(
          "sigma has " + sigma.length + " values for " + b + " rows");
    }
    boolean wasTraining = model.isTraining();
    model.setTraining(false);
    try (NDManager sub = model.newSubManager()) {
      NDArray t = sub.create(ids, new Shape(b, len));
      NDArray s = sigma == null ? null : sub.create(sigma, new Shape(b));
      NDArray positions = null;
      NDArray bias = null;
      if (layout != null) {
        if (layout.batch() != b || layout.length() != len) {
          throw new IllegalArgumentException(
              "layout is ["
                  + layout.batch()
                  + ", "
                  + layout.length()
                  + "], tokens ["
                  + b
                  + ", "
                  + len
                  + "]");
        }
        long[] pos = new long[b * len];
        for (int i = 0; i < pos.length; i++) {
          pos[i] = layout.positions()[i];
        }
        positions = sub.create(pos, new Shape(b, len));
        bias = sub.create(layout.additiveMask(), new Shape(layout.shared() ? 1 : b, 1, len, len));
      }
      float[] out = model.forward(t, s, positions, bias).toFloatArray();
      return new Logits(out, b, len, v);
    } finally {
      model.setTraining(wasTraining);
    }
  }

  @Override
  public void close() {
    if (ownsModel) {
      model.close();
    }
  }
}

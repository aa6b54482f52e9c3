package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Eso-LM support over a sorted-causal export (spec §4.4, Appendix B): the windowed KV cache over
 * the decode graph (inputs {@code tokens}, {@code positions} [B, W], {@code commit} [1], {@code
 * sigma}, past K/V; present K/V already cut to past + commit rows and fed back as the next past
 * without copying, {@link KvPast}), and {@link #sortedForward} for the full graph with {@code
 * positions}. Kept apart from {@link OnnxDenoiser}, which only delegates here.
 */
final class OnnxWindowKvCacheDecoder implements WindowKvCacheDecoder {
  /** Input name of the rotary positions of sorted-causal graphs. */
  static final String POSITIONS = "positions";

  private final OrtEnvironment env;
  private final OrtSession session;
  private final int batch;
  private final int vocab;
  private final boolean int64Ids;
  private final KvPast past;
  private int cached;
  private boolean closed;

  OnnxWindowKvCacheDecoder(
      OrtEnvironment env,
      OrtSession session,
      int batch,
      int vocab,
      int blocks,
      int heads,
      int headDim,
      boolean int64Ids) {
    if (batch < 1) {
      throw new InvalidInputException("KV-cache batch must be >= 1, got " + batch);
    }
    this.env = env;
    this.session = session;
    this.batch = batch;
    this.vocab = vocab;
    this.int64Ids = int64Ids;
    this.past = new KvPast(env, batch, blocks, heads, headDim);
  }

  /** Whether a session is a sorted-causal (Eso-LM) graph. */
  static boolean takesPositions(OrtSession session) {
    return session != null && session.getInputNames().contains(POSITIONS);
  }

  /**
   * A full sorted-causal forward: {@code tokens [B, L]} in sorted order, {@code positions} from the
   * layout, sigma (zeros when null).
   *
   * @throws UnsupportedOperationException for a layout that is not causal over the fed order
   */
  static Logits sortedForward(
      OrtEnvironment env,
      OrtSession full,
      TokenBatch tokens,
      float[] sigma,
      AttentionLayout layout,
      int vocab,
      boolean int64Ids) {
    if (!layout.isSortedCausal()) {
      throw new UnsupportedOperationException(
          "the ONNX export takes sorted-causal layouts only (positions + causal over the fed order)");
    }
    int b = tokens.batch();
    int l = tokens.length();
    if (layout.batch() != b || layout.length() != l) {
      throw new InvalidInputException(
          "attention layout does not match tokens [" + b + ", " + l + "]");
    }
    if (sigma != null && sigma.length != b) {
      throw new InvalidInputException("sigma has " + sigma.length + " values for batch " + b);
    }
    OnnxDenoiser.checkIds(tokens.ids(), vocab);
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      in.put("tokens", ids(env, tokens.ids(), new long[] {b, l}, int64Ids));
      in.put(POSITIONS, longs(env, layout.positions(), new long[] {b, l}));
      in.put(
          "sigma",
          OnnxTensor.createTensor(env, FloatBuffer.wrap(sigmaOrZeros(sigma, b)), new long[] {b}));
      try (OrtSession.Result r = full.run(in)) {
        float[] out = new float[b * l * vocab];
        ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer().get(out);
        return new Logits(out, b, l, vocab);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime forward failed: " + e.getMessage(), e);
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public synchronized Logits step(int[] tokens, int[] positions, int window, int commit) {
    if (closed) {
      throw new IllegalStateException("KV-cache decoder is closed");
    }
    if (window < 1 || commit < 0 || commit > window) {
      throw new IllegalArgumentException(
          "window step needs 1 <= W and 0 <= commit <= W, got W = "
              + window
              + ", commit "
              + commit);
    }
    if (tokens.length != batch * window || positions.length != batch * window) {
      throw new InvalidInputException(
          "window step needs [" + batch + ", " + window + "] tokens and positions");
    }
    OnnxDenoiser.checkIds(tokens, vocab);
    List<OnnxTensor> fresh = new ArrayList<>();
    OrtSession.Result result;
    try {
      fresh.add(ids(env, tokens, new long[] {batch, window}, int64Ids));
      fresh.add(longs(env, positions, new long[] {batch, window}));
      fresh.add(OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {commit}), new long[] {1}));
      fresh.add(
          OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[batch]), new long[] {batch}));
      Map<String, OnnxTensorLike> in = past.inputs();
      in.put("tokens", fresh.get(0));
      in.put(POSITIONS, fresh.get(1));
      in.put("commit", fresh.get(2));
      in.put("sigma", fresh.get(3));
      result = session.run(in);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime window step failed: " + e.getMessage(), e);
    } finally {
      fresh.forEach(OnnxTensor::close);
    }
    float[] out = past.advance(result, new float[batch * window * vocab]);
    cached += commit;
    return new Logits(out, batch, window, vocab);
  }

  @Override
  public int cached() {
    return cached;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    past.close();
  }

  private static float[] sigmaOrZeros(float[] sigma, int b) {
    return sigma == null ? new float[b] : sigma;
  }

  private static OnnxTensor ids(OrtEnvironment env, int[] ids, long[] shape, boolean int64)
      throws OrtException {
    if (!int64) {
      return OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(ids), shape);
    }
    return longs(env, ids, shape);
  }

  private static OnnxTensor longs(OrtEnvironment env, int[] values, long[] shape)
      throws OrtException {
    long[] l = new long[values.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = values[i];
    }
    return OnnxTensor.createTensor(env, LongBuffer.wrap(l), shape);
  }
}

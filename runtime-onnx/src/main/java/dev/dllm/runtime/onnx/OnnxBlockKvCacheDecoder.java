package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The block KV cache of a bidirectional export over its block graph ({@code decode.onnx} with a
 * {@value #KEY_BIAS} input, exporter {@code DitOnnx}): {@link #refresh} feeds {@code [B, L]} at
 * positions 0 .. L − 1 with an empty past and a zero bias and keeps the result's present K/V {@code
 * [B, H, L, d_h]} per layer open as the cache ({@link KvPast}, no copy); {@link #slice} feeds S
 * tokens per row with that cache as the past and the caller's visibility as the additive bias (0 or
 * {@value #HIDDEN}); its own present K/V are dropped with its result.
 */
final class OnnxBlockKvCacheDecoder implements BlockKvCacheDecoder {
  /** Input name of the per-key additive attention bias of the block graph. */
  static final String KEY_BIAS = "key_bias";

  /** Bias of a hidden key (the graphs' mask bias, finite so a row never turns NaN). */
  static final float HIDDEN = -1e9f;

  private final OnnxDenoiser owner;
  private final OrtEnvironment env;
  private final OrtCalls calls;
  private final OrtSession session;
  private final int vocab;
  private final int blocks;
  private final int heads;
  private final int headDim;
  private final boolean int64Ids;
  private KvPast cache;
  private int batch;
  private int length;
  private boolean closed;

  OnnxBlockKvCacheDecoder(
      OnnxDenoiser owner,
      OrtEnvironment env,
      OrtCalls calls,
      OrtSession session,
      int vocab,
      int blocks,
      int heads,
      int headDim,
      boolean int64Ids) {
    this.owner = owner;
    this.env = env;
    this.calls = calls;
    this.session = session;
    this.vocab = vocab;
    this.blocks = blocks;
    this.heads = heads;
    this.headDim = headDim;
    this.int64Ids = int64Ids;
  }

  /** Whether a session is a block graph. */
  static boolean isBlockGraph(OrtSession session) {
    return session != null && session.getInputNames().contains(KEY_BIAS);
  }

  @Override
  public synchronized Logits refresh(TokenBatch tokens, float[] sigma) {
    open();
    int b = tokens.batch();
    int l = tokens.length();
    int[] positions = new int[b * l];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = i % l;
    }
    KvPast next = new KvPast(env, b, blocks, heads, headDim);
    try {
      OrtSession.Result r = run(next, tokens.ids(), positions, b, l, new float[b * l], sigma);
      float[] out = next.advance(r, new float[b * l * vocab]);
      if (cache != null) {
        cache.close();
      }
      cache = next;
      batch = b;
      length = l;
      return new Logits(out, b, l, vocab);
    } catch (RuntimeException e) {
      next.close();
      throw e;
    }
  }

  @Override
  public synchronized Logits slice(
      int[] tokens, int[] positions, int width, boolean[] visible, float[] sigma) {
    open();
    if (cache == null) {
      throw new IllegalStateException("block KV cache: slice before the first refresh");
    }
    if (width < 1
        || tokens.length != batch * width
        || positions.length != batch * width
        || visible.length != batch * (length + width)) {
      throw new InvalidInputException(
          "block KV slice needs tokens and positions ["
              + batch
              + ", "
              + width
              + "] and visible ["
              + batch
              + ", "
              + (length + width)
              + "], width >= 1");
    }
    for (int p : positions) {
      if (p < 0 || p >= length) {
        throw new InvalidInputException(
            "block KV slice position " + p + " is outside [0, " + length + ")");
      }
    }
    float[] bias = new float[visible.length];
    for (int i = 0; i < bias.length; i++) {
      bias[i] = visible[i] ? 0f : HIDDEN;
    }
    try (OrtSession.Result r = run(cache, tokens, positions, batch, width, bias, sigma)) {
      float[] out = new float[batch * width * vocab];
      ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer().get(out);
      return new Logits(out, batch, width, vocab);
    }
  }

  private OrtSession.Result run(
      KvPast past, int[] ids, int[] positions, int b, int s, float[] bias, float[] sigma) {
    OnnxDenoiser.checkIds(ids, vocab);
    if (sigma != null && sigma.length != b) {
      throw new InvalidInputException("sigma has " + sigma.length + " values for batch " + b);
    }
    List<OnnxTensor> fresh = new ArrayList<>();
    owner.enter();
    try {
      long[] shape = {b, s};
      fresh.add(
          int64Ids
              ? OnnxTensor.createTensor(env, LongBuffer.wrap(longs(ids)), shape)
              : OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(ids), shape));
      fresh.add(OnnxTensor.createTensor(env, LongBuffer.wrap(longs(positions)), shape));
      fresh.add(
          OnnxTensor.createTensor(env, FloatBuffer.wrap(bias), new long[] {b, bias.length / b}));
      fresh.add(
          OnnxTensor.createTensor(
              env, FloatBuffer.wrap(sigma == null ? new float[b] : sigma), new long[] {b}));
      Map<String, OnnxTensorLike> in = past.inputs();
      in.put("tokens", fresh.get(0));
      in.put(OnnxWindowKvCacheDecoder.POSITIONS, fresh.get(1));
      in.put(KEY_BIAS, fresh.get(2));
      in.put("sigma", fresh.get(3));
      return calls.run(session, in, Map.of());
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime block KV step failed: " + e.getMessage(), e);
    } finally {
      fresh.forEach(OnnxTensor::close);
      owner.exit();
    }
  }

  private static long[] longs(int[] v) {
    long[] out = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("block KV-cache decoder is closed");
    }
  }

  @Override
  public synchronized int batch() {
    return batch;
  }

  @Override
  public synchronized int length() {
    return length;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }
}

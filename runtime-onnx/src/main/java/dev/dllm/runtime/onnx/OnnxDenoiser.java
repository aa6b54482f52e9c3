package dev.dllm.runtime.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link Denoiser} over ONNX Runtime sessions of a dllm export (spec Appendix B): the full graph
 * {@code tokens [B, L], sigma [B] -> logits [B, L, V]} and, for causal models, the decode graph
 * behind {@link #kvCacheDecoder}.
 *
 * <p>Input and output tensors wrap direct NIO buffers that are reused while the shape {@code [B,
 * L]} stays the same (the usual case inside a sampler); the logits are written by ONNX Runtime into
 * a pinned output tensor and copied once into the returned {@link Logits}. Token ids are Java ints;
 * they are converted to the graph's declared id type (int64, or int32 for graphs that declare it)
 * and checked against {@code [0, V)} first. Not thread-safe for concurrent calls (calls are
 * serialised).
 */
public final class OnnxDenoiser implements Denoiser {
  private final OrtEnvironment env;
  private final OrtSession full;
  private final OrtSession decode;
  private final int vocab;
  private final int blocks;
  private final int heads;
  private final int headDim;
  private final boolean int64Ids;
  private final boolean decodeInt64Ids;

  private Shape shape;

  /**
   * @param full the full-forward session (owned: closed with this denoiser)
   * @param decode the KV-cache decode session, or null (owned)
   * @param metadata the export's metadata (vocabulary and block shape)
   * @throws InvalidInputException when the graph's inputs are not a dllm DiT signature
   */
  public OnnxDenoiser(
      OrtEnvironment env, OrtSession full, OrtSession decode, ExportMetadata metadata) {
    this.env = env;
    this.full = full;
    this.decode = decode;
    this.vocab = metadata.model().vocabSize();
    this.blocks = metadata.model().blocks();
    this.heads = metadata.model().heads();
    this.headDim = metadata.model().headDim();
    this.int64Ids = idsAreInt64(full);
    this.decodeInt64Ids = decode == null || idsAreInt64(decode);
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  /**
   * {@inheritDoc}
   *
   * @throws InvalidInputException when an id is outside {@code [0, V)} or sigma has the wrong
   *     length
   */
  @Override
  public synchronized Logits forward(TokenBatch tokens, float[] sigma) {
    int b = tokens.batch();
    int l = tokens.length();
    checkIds(tokens.ids(), vocab);
    if (sigma != null && sigma.length != b) {
      throw new InvalidInputException("sigma has " + sigma.length + " values for batch " + b);
    }
    try {
      if (shape == null || shape.batch != b || shape.length != l) {
        if (shape != null) {
          shape.close();
        }
        shape = new Shape(b, l);
      }
      shape.fill(tokens.ids(), sigma);
      Map<String, OnnxTensor> in = Map.of("tokens", shape.tokens, "sigma", shape.sigma);
      try (OrtSession.Result ignored = full.run(in, Map.of("logits", shape.logits))) {
        float[] out = new float[b * l * vocab];
        shape.logitsBuf.rewind();
        shape.logitsBuf.get(out);
        return new Logits(out, b, l, vocab);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime forward failed: " + e.getMessage(), e);
    }
  }

  /**
   * Sorted-causal (Eso-LM) exports only: a forward with rotary positions, causal over the fed order
   * ({@link OnnxWindowKvCacheDecoder#sortedForward}).
   */
  @Override
  public synchronized Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    if (layout == null) {
      return forward(tokens, sigma);
    }
    if (!supportsLayout()) {
      throw new UnsupportedOperationException("this export has no positions input");
    }
    return OnnxWindowKvCacheDecoder.sortedForward(
        env, full, tokens, sigma, layout, vocab, int64Ids);
  }

  /** True for sorted-causal (Eso-LM) exports, whose full graph takes {@code positions}. */
  @Override
  public boolean supportsLayout() {
    return OnnxWindowKvCacheDecoder.takesPositions(full);
  }

  /** The windowed KV cache of a sorted-causal export's decode graph. */
  @Override
  public Optional<WindowKvCacheDecoder> windowKvCacheDecoder(int batch) {
    if (!OnnxWindowKvCacheDecoder.takesPositions(decode)) {
      return Optional.empty();
    }
    return Optional.of(
        new OnnxWindowKvCacheDecoder(
            env, decode, batch, vocab, blocks, heads, headDim, decodeInt64Ids));
  }

  /** A KV-cache decoder when the export has a decode graph (causal models). */
  @Override
  public Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    if (decode == null || OnnxWindowKvCacheDecoder.takesPositions(decode)) {
      return Optional.empty();
    }
    return Optional.of(
        new OnnxKvCacheDecoder(env, decode, batch, vocab, blocks, heads, headDim, decodeInt64Ids));
  }

  /** Whether a KV-cache decode graph is loaded. */
  public boolean hasDecodeGraph() {
    return decode != null;
  }

  @Override
  public synchronized void close() {
    if (shape != null) {
      shape.close();
      shape = null;
    }
    closeQuietly(full);
    closeQuietly(decode);
  }

  /** Closes a session, turning the checked exception into an unchecked one. */
  static void closeQuietly(OrtSession s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close ONNX Runtime session: " + e.getMessage(), e);
    }
  }

  static void checkIds(int[] ids, int vocab) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new InvalidInputException(
            "token id " + ids[i] + " at flat index " + i + " is outside [0, " + vocab + ")");
      }
    }
  }

  /** Whether the graph's {@code tokens} input is int64 (else int32); anything else is rejected. */
  static boolean idsAreInt64(OrtSession session) {
    try {
      NodeInfo info = session.getInputInfo().get("tokens");
      if (info == null || !(info.getInfo() instanceof TensorInfo ti)) {
        throw new InvalidInputException(
            "ONNX graph has no tensor input 'tokens' (int64 [batch, seq]); inputs are "
                + session.getInputNames());
      }
      if (ti.type == OnnxJavaType.INT64) {
        return true;
      }
      if (ti.type == OnnxJavaType.INT32) {
        return false;
      }
      throw new InvalidInputException(
          "ONNX graph input 'tokens' is " + ti.type + "; expected int64 token ids");
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Direct buffers of id type int64 or int32 holding {@code n} ids. */
  static ByteBuffer idBuffer(int n, boolean int64) {
    return ByteBuffer.allocateDirect(n * (int64 ? 8 : 4)).order(ByteOrder.nativeOrder());
  }

  static void putIds(ByteBuffer buf, int[] ids, boolean int64) {
    buf.clear();
    if (int64) {
      var lb = buf.asLongBuffer();
      for (int id : ids) {
        lb.put(id);
      }
    } else {
      buf.asIntBuffer().put(ids);
    }
  }

  static OnnxTensor idTensor(OrtEnvironment env, ByteBuffer buf, long[] shape, boolean int64)
      throws OrtException {
    return int64
        ? OnnxTensor.createTensor(env, buf.asLongBuffer(), shape)
        : OnnxTensor.createTensor(env, buf.asIntBuffer(), shape);
  }

  /** Reusable tensors for one {@code [B, L]}. */
  private final class Shape implements AutoCloseable {
    final int batch;
    final int length;
    final ByteBuffer tokensBuf;
    final FloatBuffer sigmaBuf;
    final FloatBuffer logitsBuf;
    final OnnxTensor tokens;
    final OnnxTensor sigma;
    final OnnxTensor logits;

    Shape(int batch, int length) throws OrtException {
      this.batch = batch;
      this.length = length;
      tokensBuf = idBuffer(batch * length, int64Ids);
      sigmaBuf = floats(batch);
      logitsBuf = floats(batch * length * vocab);
      Map<String, OnnxTensor> made = new HashMap<>();
      try {
        tokens = idTensor(env, tokensBuf, new long[] {batch, length}, int64Ids);
        made.put("tokens", tokens);
        sigma = OnnxTensor.createTensor(env, sigmaBuf, new long[] {batch});
        made.put("sigma", sigma);
        logits = OnnxTensor.createTensor(env, logitsBuf, new long[] {batch, length, vocab});
      } catch (OrtException | RuntimeException e) {
        made.values().forEach(OnnxTensor::close);
        throw e;
      }
    }

    void fill(int[] ids, float[] s) {
      putIds(tokensBuf, ids, int64Ids);
      sigmaBuf.clear();
      for (int i = 0; i < batch; i++) {
        sigmaBuf.put(i, s == null ? 0f : s[i]);
      }
    }

    @Override
    public void close() {
      tokens.close();
      sigma.close();
      logits.close();
    }
  }

  static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}

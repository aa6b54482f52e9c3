package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.BlockKvCacheDecoder;
import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.WindowKvCacheDecoder;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link Denoiser} over ONNX Runtime sessions of a dllm export (spec Appendix B): the full graph
 * {@code tokens [B, L] (int64 or int32), sigma [B] (float32) -> logits [B, L, V] (float32)} and,
 * for causal models, the decode graph behind {@link #kvCacheDecoder}.
 *
 * <p>Thread-safe without a lock around the run: ONNX Runtime's {@code OrtSession.run} is
 * thread-safe, and each call borrows its own input/output buffers for {@code [B, L]} from a small
 * pool (at most {@link #MAX_IDLE} idle sets are kept; a call that finds none allocates one). The
 * logits are written by ONNX Runtime into the borrowed pinned output tensor and copied once into
 * the returned {@link Logits}, so results are identical to serial calls. Token ids are Java ints;
 * they are converted to the graph's declared id type (int64, or int32 for graphs that declare it)
 * and checked against {@code [0, V)} first.
 *
 * <p>{@link #close} waits for calls in flight, then closes the tensors and sessions and frees the
 * direct buffers at once (not at the next garbage collection).
 */
public final class OnnxDenoiser implements Denoiser {
  /** Idle buffer sets kept for reuse (one per concurrent caller of the same shape). */
  public static final int MAX_IDLE = 8;

  private final OrtEnvironment env;
  private final OrtSession full;
  private final OrtSession decode;
  private final OrtCalls calls;
  private final int vocab;
  private final int blocks;
  private final int heads;
  private final int headDim;
  private final boolean int64Ids;
  private final boolean decodeInt64Ids;

  private final ConcurrentLinkedDeque<Shape> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger allocated = new AtomicInteger();

  /** Shared by calls in flight, exclusive for {@link #close}. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

  private boolean closed;

  /**
   * @param full the full-forward session (owned: closed with this denoiser)
   * @param decode the KV-cache decode session, or null (owned)
   * @param metadata the export's metadata (vocabulary and block shape)
   * @throws InvalidInputException when the graph's inputs are not a dllm DiT signature
   */
  public OnnxDenoiser(
      OrtEnvironment env, OrtSession full, OrtSession decode, ExportMetadata metadata) {
    this(env, full, decode, metadata, OrtCalls.DEFAULT);
  }

  /**
   * As {@link #OnnxDenoiser(OrtEnvironment, OrtSession, OrtSession, ExportMetadata)}, running the
   * graphs through {@code calls} (a test seam).
   */
  public OnnxDenoiser(
      OrtEnvironment env,
      OrtSession full,
      OrtSession decode,
      ExportMetadata metadata,
      OrtCalls calls) {
    this.env = env;
    this.full = full;
    this.decode = decode;
    this.calls = calls;
    this.vocab = metadata.model().vocabSize();
    this.blocks = metadata.model().blocks();
    this.heads = metadata.model().heads();
    this.headDim = metadata.model().headDim();
    this.int64Ids = OnnxSessions.idsAreInt64(full);
    this.decodeInt64Ids = decode == null || OnnxSessions.idsAreInt64(decode);
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Safe to call from several threads at once.
   *
   * @param tokens ids {@code [B, L]}
   * @param sigma {@code [B]}, or null for zeros
   * @return logits {@code [B, L, V]}
   * @throws InvalidInputException when an id is outside {@code [0, V)}, sigma has the wrong length,
   *     or B·L·V does not fit in one Java array
   * @throws IllegalStateException when ONNX Runtime fails (the cause is its {@code OrtException})
   *     or the denoiser is closed
   */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma) {
    int b = tokens.batch();
    int l = tokens.length();
    checkIds(tokens.ids(), vocab);
    if (sigma != null && sigma.length != b) {
      throw new InvalidInputException("sigma has " + sigma.length + " values for batch " + b);
    }
    if ((long) b * l * vocab > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          String.format(
              "logits [%d, %d, %d] exceed one Java array (2^31 values); use a smaller batch or"
                  + " length",
              b, l, vocab));
    }
    enter();
    try {
      Shape shape = borrow(b, l);
      try {
        shape.fill(tokens.ids(), sigma);
        Map<String, OnnxTensor> in = Map.of("tokens", shape.tokens, "sigma", shape.sigma);
        try (OrtSession.Result ignored = calls.run(full, in, Map.of("logits", shape.logits))) {
          float[] out = new float[b * l * vocab];
          shape.logitsBuf.rewind();
          shape.logitsBuf.get(out);
          return new Logits(out, b, l, vocab);
        }
      } finally {
        giveBack(shape);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime forward failed: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /**
   * Sorted-causal (Eso-LM) exports only: a forward with rotary positions, causal over the fed order
   * ({@link OnnxWindowKvCacheDecoder#sortedForward}).
   */
  @Override
  public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
    if (layout == null) {
      return forward(tokens, sigma);
    }
    if (!supportsLayout()) {
      throw new UnsupportedOperationException("this export has no positions input");
    }
    enter();
    try {
      return OnnxWindowKvCacheDecoder.sortedForward(
          env, full, tokens, sigma, layout, vocab, int64Ids);
    } finally {
      exit();
    }
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

  /** Buffer sets allocated so far (for tests and the bench: stays small when calls reuse them). */
  public int buffersAllocated() {
    return allocated.get();
  }

  private Shape borrow(int b, int l) throws OrtException {
    for (Shape s : idle) {
      if (s.batch == b && s.length == l && idle.remove(s)) {
        return s;
      }
    }
    allocated.incrementAndGet();
    return new Shape(b, l);
  }

  private void giveBack(Shape s) {
    idle.addFirst(s);
    while (idle.size() > MAX_IDLE) {
      Shape oldest = idle.pollLast();
      if (oldest != null) {
        oldest.close();
      }
    }
  }

  /** Marks a call in flight; fails when closed. */
  void enter() {
    lifecycle.readLock().lock();
    if (closed) {
      lifecycle.readLock().unlock();
      throw new IllegalStateException("the ONNX model is closed");
    }
  }

  void exit() {
    lifecycle.readLock().unlock();
  }

  /** A KV-cache decoder when the export has a decode graph (causal models). */
  @Override
  public Optional<KvCacheDecoder> kvCacheDecoder(int batch) {
    if (!hasDecodeGraph() || OnnxWindowKvCacheDecoder.takesPositions(decode)) {
      return Optional.empty();
    }
    return Optional.of(
        new OnnxKvCacheDecoder(
            this, env, calls, decode, batch, vocab, blocks, heads, headDim, decodeInt64Ids));
  }

  /**
   * The block KV cache of a bidirectional export's block graph ({@link OnnxBlockKvCacheDecoder}).
   */
  @Override
  public Optional<BlockKvCacheDecoder> blockKvCacheDecoder() {
    return OnnxBlockKvCacheDecoder.isBlockGraph(decode)
        ? Optional.of(
            new OnnxBlockKvCacheDecoder(
                this, env, calls, decode, vocab, blocks, heads, headDim, decodeInt64Ids))
        : Optional.empty();
  }

  /** Whether an AR or Eso-LM KV-cache decode graph is loaded (not a block graph). */
  public boolean hasDecodeGraph() {
    return decode != null && !OnnxBlockKvCacheDecoder.isBlockGraph(decode);
  }

  /**
   * Waits for calls in flight, then closes the pooled tensors (freeing their direct buffers at
   * once) and both sessions. Idempotent.
   */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Shape s = idle.poll(); s != null; s = idle.poll()) {
        s.close();
      }
      closeQuietly(full);
      closeQuietly(decode);
    } finally {
      lifecycle.writeLock().unlock();
    }
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

  /** Direct buffers of id type int64 or int32 holding {@code n} ids (free with DirectBuffers). */
  static ByteBuffer idBuffer(int n, boolean int64) {
    return DirectBuffers.allocate((long) n * (int64 ? 8 : 4));
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

  /** Reusable tensors for one {@code [B, L]}, used by one call at a time. */
  private final class Shape implements AutoCloseable {
    final int batch;
    final int length;
    final ByteBuffer tokensBuf;
    final ByteBuffer sigmaBytes;
    final ByteBuffer logitsBytes;
    final FloatBuffer sigmaBuf;
    final FloatBuffer logitsBuf;
    final OnnxTensor tokens;
    final OnnxTensor sigma;
    final OnnxTensor logits;

    Shape(int batch, int length) throws OrtException {
      this.batch = batch;
      this.length = length;
      tokensBuf = idBuffer(batch * length, int64Ids);
      sigmaBytes = DirectBuffers.allocate(4L * batch);
      logitsBytes = DirectBuffers.allocate(4L * batch * length * vocab);
      sigmaBuf = sigmaBytes.asFloatBuffer();
      logitsBuf = logitsBytes.asFloatBuffer();
      List<OnnxTensor> made = new ArrayList<>();
      try {
        tokens = idTensor(env, tokensBuf, new long[] {batch, length}, int64Ids);
        made.add(tokens);
        sigma = OnnxTensor.createTensor(env, sigmaBuf, new long[] {batch});
        made.add(sigma);
        logits = OnnxTensor.createTensor(env, logitsBuf, new long[] {batch, length, vocab});
      } catch (OrtException | RuntimeException e) {
        made.forEach(OnnxTensor::close);
        freeBuffers();
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
      freeBuffers();
    }

    private void freeBuffers() {
      DirectBuffers.free(tokensBuf);
      DirectBuffers.free(sigmaBytes);
      DirectBuffers.free(logitsBytes);
    }
  }
}

package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.KvCacheDecoder;
import dev.dllm.api.Logits;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Incremental AR decoding over the export's decode graph (spec §5, Appendix B): each {@link #next}
 * feeds one token per row at position {@link #position()}; {@link #prefill} feeds a prompt of
 * several tokens per row in one call. The present K/V tensors of a step are fed back as the next
 * step's past without copying ({@link KvPast}). The cache starts empty ({@code past = 0}).
 */
final class OnnxKvCacheDecoder implements KvCacheDecoder {
  private final OnnxDenoiser owner;
  private final OrtCalls calls;
  private final OrtSession session;
  private final OrtEnvironment env;
  private final int batch;
  private final int vocab;
  private final boolean int64Ids;
  private final ByteBuffer tokensBuf;
  private OnnxTensor tokens;
  private OnnxTensor sigma;
  private final List<ByteBuffer> buffers = new ArrayList<>();
  private final KvPast past;
  private int position;
  private boolean closed;

  OnnxKvCacheDecoder(
      OnnxDenoiser owner,
      OrtEnvironment env,
      OrtCalls calls,
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
    this.owner = owner;
    this.calls = calls;
    this.session = session;
    this.env = env;
    this.batch = batch;
    this.vocab = vocab;
    this.int64Ids = int64Ids;
    this.tokensBuf = OnnxDenoiser.idBuffer(batch, int64Ids);
    buffers.add(tokensBuf);
    this.past = new KvPast(env, batch, blocks, heads, headDim);
    OnnxTensor tokensTensor = null;
    OnnxTensor sigmaTensor = null;
    try {
      tokensTensor = OnnxDenoiser.idTensor(env, tokensBuf, new long[] {batch, 1}, int64Ids);
      sigmaTensor = OnnxTensor.createTensor(env, floats(batch), new long[] {batch});
    } catch (OrtException e) {
      this.tokens = tokensTensor;
      this.sigma = sigmaTensor;
      close();
      throw new IllegalStateException("cannot allocate the KV cache: " + e.getMessage(), e);
    }
    this.tokens = tokensTensor;
    this.sigma = sigmaTensor;
  }

  private FloatBuffer floats(int n) {
    ByteBuffer b = DirectBuffers.allocate(4L * n);
    buffers.add(b);
    return b.asFloatBuffer();
  }

  @Override
  public synchronized Logits next(int[] ids) {
    if (closed) {
      throw new IllegalStateException("KV-cache decoder is closed");
    }
    if (ids.length != batch) {
      throw new InvalidInputException(
          "KV-cache decoder was opened for batch " + batch + ", got " + ids.length + " ids");
    }
    OnnxDenoiser.checkIds(ids, vocab);
    OnnxDenoiser.putIds(tokensBuf, ids, int64Ids);
    Map<String, OnnxTensorLike> in = past.inputs();
    in.put("tokens", tokens);
    in.put("sigma", sigma);
    OrtSession.Result result;
    owner.enter();
    try {
      result = calls.run(session, in, Map.of());
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime decode step failed: " + e.getMessage(), e);
    } finally {
      owner.exit();
    }
    float[] out = past.advance(result, new float[batch * vocab]);
    position++;
    return new Logits(out, batch, 1, vocab);
  }

  /**
   * Feeds {@code count} tokens per row at positions {@link #position()} … position + count − 1 in
   * <b>one</b> ONNX Runtime call of the decode graph (its {@code tokens} input is {@code [batch,
   * new]} with dynamic {@code new}; the new tokens attend to the cache and causally among
   * themselves, DitOnnx): the prompt prefill of conditional AR sampling (spec §11.1).
   *
   * @param ids {@code [B, count]} row-major
   * @param count tokens per row, &gt;= 1
   * @return logits {@code [B, count, V]} of the fed positions
   * @throws InvalidInputException when the ids are not {@code [B, count]} for this decoder's batch
   *     or an id is outside {@code [0, V)}
   * @throws IllegalStateException when ONNX Runtime fails or the decoder is closed
   */
  @Override
  public synchronized Logits prefill(int[] ids, int count) {
    if (closed) {
      throw new IllegalStateException("KV-cache decoder is closed");
    }
    if (count < 1 || ids.length != (long) batch * count) {
      throw new InvalidInputException(
          "prefill of "
              + ids.length
              + " ids is not [batch "
              + batch
              + ", count "
              + count
              + "] (count >= 1)");
    }
    if (count == 1) {
      return next(ids);
    }
    if ((long) batch * count * vocab > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException(
          String.format(
              "prefill logits [%d, %d, %d] exceed one Java array (2^31 values)",
              batch, count, vocab));
    }
    OnnxDenoiser.checkIds(ids, vocab);
    ByteBuffer buf = OnnxDenoiser.idBuffer(batch * count, int64Ids);
    try {
      OnnxDenoiser.putIds(buf, ids, int64Ids);
      OrtSession.Result result;
      try (OnnxTensor window =
          OnnxDenoiser.idTensor(env, buf, new long[] {batch, count}, int64Ids)) {
        Map<String, OnnxTensorLike> in = past.inputs();
        in.put("tokens", window);
        in.put("sigma", sigma);
        owner.enter();
        try {
          result = calls.run(session, in, Map.of());
        } finally {
          owner.exit();
        }
      }
      float[] out = past.advance(result, new float[batch * count * vocab]);
      position += count;
      return new Logits(out, batch, count, vocab);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime prefill failed: " + e.getMessage(), e);
    } finally {
      DirectBuffers.free(buf);
    }
  }

  @Override
  public int position() {
    return position;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    past.close();
    if (tokens != null) {
      tokens.close();
    }
    if (sigma != null) {
      sigma.close();
    }
    buffers.forEach(DirectBuffers::free);
    buffers.clear();
  }
}

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
 * feeds one token per row at position {@link #position()}. The present K/V tensors of a step are
 * fed back as the next step's past without copying ({@link KvPast}). The cache starts empty ({@code
 * past = 0}).
 */
final class OnnxKvCacheDecoder implements KvCacheDecoder {
  private final OnnxDenoiser owner;
  private final OrtCalls calls;
  private final OrtSession session;
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

package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The past K/V of a decode graph (spec Appendix B), shared by {@link OnnxKvCacheDecoder} and {@link
 * OnnxWindowKvCacheDecoder}: it starts as empty tensors {@code past_key_i} / {@code past_value_i}
 * of shape {@code [B, heads, 0, headDim]} for every block i; after each run the result's {@code
 * present_key_i} / {@code present_value_i} become the next past without copying (that result stays
 * open until the next run has finished, then it is closed).
 */
final class KvPast {
  private final int blocks;
  private final List<OnnxTensor> empty = new ArrayList<>();
  private final List<ByteBuffer> buffers = new ArrayList<>();
  private final Map<String, OnnxTensorLike> past = new HashMap<>();
  private OrtSession.Result previous;

  /**
   * Allocates the empty past.
   *
   * @throws IllegalStateException when ONNX Runtime cannot create a tensor (nothing is left open)
   */
  KvPast(OrtEnvironment env, int batch, int blocks, int heads, int headDim) {
    this.blocks = blocks;
    long[] emptyShape = {batch, heads, 0, headDim};
    try {
      for (int i = 0; i < blocks; i++) {
        OnnxTensor k = OnnxTensor.createTensor(env, noFloats(), emptyShape);
        empty.add(k);
        OnnxTensor v = OnnxTensor.createTensor(env, noFloats(), emptyShape);
        empty.add(v);
        past.put("past_key_" + i, k);
        past.put("past_value_" + i, v);
      }
    } catch (OrtException e) {
      close();
      throw new IllegalStateException("cannot allocate the KV cache: " + e.getMessage(), e);
    }
  }

  private java.nio.FloatBuffer noFloats() {
    ByteBuffer b = DirectBuffers.allocate(0);
    buffers.add(b);
    return b.asFloatBuffer();
  }

  /** A new input map holding the past K/V, for the caller to add the step's own inputs to. */
  Map<String, OnnxTensorLike> inputs() {
    return new HashMap<>(past);
  }

  /**
   * Takes a run's result: copies its {@code logits} into {@code out}, makes its present K/V the
   * next past and closes the previous result.
   *
   * @param out receives {@code out.length} logits
   * @return out
   * @throws IllegalStateException when the graph lacks an output
   */
  float[] advance(OrtSession.Result result, float[] out) {
    ((OnnxTensor) value(result, "logits")).getFloatBuffer().get(out);
    for (int i = 0; i < blocks; i++) {
      past.put("past_key_" + i, (OnnxTensor) value(result, "present_key_" + i));
      past.put("past_value_" + i, (OnnxTensor) value(result, "present_value_" + i));
    }
    if (previous != null) {
      previous.close();
    }
    previous = result;
    return out;
  }

  private static OnnxValue value(OrtSession.Result r, String name) {
    return r.get(name)
        .orElseThrow(() -> new IllegalStateException("decode graph has no output " + name));
  }

  /** Closes the last result and the empty tensors and frees their buffers; idempotent. */
  void close() {
    if (previous != null) {
      previous.close();
      previous = null;
    }
    empty.forEach(OnnxTensor::close);
    empty.clear();
    buffers.forEach(DirectBuffers::free);
    buffers.clear();
  }
}

package dev.dllm.runtime.onnx;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Map;

/**
 * The seam where dllm calls ONNX Runtime: adding the CUDA provider, creating a session and running
 * a graph. Everything in this module goes through it, so tests can substitute a Mockito mock or spy
 * (for example {@code mock(OrtCalls.class, CALLS_REAL_METHODS)}) to simulate a missing CUDA
 * provider or a run that fails mid-sampling. {@link #DEFAULT} calls ONNX Runtime directly.
 *
 * <p>Implementations must be thread-safe: {@link #run} is called concurrently ({@code
 * OrtSession.run} is).
 */
public interface OrtCalls {

  /** Calls ONNX Runtime directly. */
  OrtCalls DEFAULT = new OrtCalls() {};

  /**
   * Adds the CUDA execution provider (device 0) to {@code options}.
   *
   * @throws OrtException when the provider is not available (CPU build, no driver)
   */
  default void addCuda(OrtSession.SessionOptions options) throws OrtException {
    options.addCUDA(0);
  }

  /**
   * Creates a session over the ONNX file {@code file}.
   *
   * @throws OrtException when ONNX Runtime cannot read or load it
   */
  default OrtSession createSession(OrtEnvironment env, Path file, OrtSession.SessionOptions options)
      throws OrtException {
    return env.createSession(file.toString(), options);
  }

  /**
   * Runs {@code session}. With {@code pinnedOutputs} non-empty, ONNX Runtime writes those outputs
   * into the given tensors (which the returned result does not own).
   *
   * @throws OrtException when the run fails
   */
  default OrtSession.Result run(
      OrtSession session,
      Map<String, ? extends OnnxTensorLike> inputs,
      Map<String, ? extends OnnxValue> pinnedOutputs)
      throws OrtException {
    return pinnedOutputs.isEmpty() ? session.run(inputs) : session.run(inputs, pinnedOutputs);
  }
}

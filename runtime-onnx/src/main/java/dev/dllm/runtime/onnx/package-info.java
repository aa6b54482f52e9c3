/**
 * The ONNX-only runtime: opens a dllm export directory ({@link dev.dllm.runtime.onnx.OnnxModel}),
 * reads its self-describing metadata ({@link dev.dllm.runtime.onnx.ExportMetadata}), finds the
 * family through {@link dev.dllm.api.FamilyRegistry} and serves a {@link dev.dllm.api.Denoiser}
 * over ONNX Runtime sessions ({@link dev.dllm.runtime.onnx.OnnxDenoiser}), with a KV-cache decoder
 * for causal models. This package never sees DJL (enforced by the build and by a test).
 */
package dev.dllm.runtime.onnx;

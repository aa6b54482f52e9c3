/**
 * The ONNX-only runtime: opens a dllm export directory ({@link dev.dllm.runtime.onnx.OnnxModel}),
 * reads its self-describing metadata ({@link dev.dllm.runtime.onnx.ExportMetadata}), refuses
 * folders whose graphs and report do not belong together, finds the family through {@link
 * dev.dllm.api.FamilyRegistry} and serves a thread-safe {@link dev.dllm.api.Denoiser} over ONNX
 * Runtime sessions ({@link dev.dllm.runtime.onnx.OnnxDenoiser}), with a KV-cache decoder for causal
 * models. {@link dev.dllm.runtime.onnx.DllmGenerator} is the embeddable API for deployers. Every
 * call into ONNX Runtime goes through {@link dev.dllm.runtime.onnx.OrtCalls}, the seam tests mock
 * to simulate faults. This package never sees DJL (enforced by the build and by a test).
 */
package dev.dllm.runtime.onnx;

/**
 * Checkpoint to ONNX: a small op emitter over the generated {@code OnnxMl} protobuf classes ({@link
 * dev.dllm.exporter.OnnxEmitter}), the DiT graphs of spec §7 and Appendix B ({@link
 * dev.dllm.exporter.DitOnnx}: full forward and the AR KV-cache decode graph), a structural checker
 * ({@link dev.dllm.exporter.OnnxGraphCheck}) and the atomic export writer ({@link
 * dev.dllm.exporter.OnnxExport}, {@link dev.dllm.exporter.CheckpointExport}).
 */
package dev.dllm.exporter;

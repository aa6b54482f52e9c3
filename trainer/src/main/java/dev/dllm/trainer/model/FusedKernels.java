package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.dllm.trainer.autograd.TorchScriptArchive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The two memory-bound parts of a DiT block as single PyTorch operators with PyTorch's own fused
 * backward, which DJL's {@code NDArray} API does not expose: the tanh GELU ({@code aten::gelu},
 * {@code approximate="tanh"}: one kernel forward, one backward, where the same function written
 * with DJL elementwise ops records about a dozen autograd nodes over the {@code [B, L, 4d]}
 * activations) and rotary attention ending in {@code aten::scaled_dot_product_attention} (the CPU
 * flash kernel: no {@code [B, H, L, L]} score or probability tensor is stored for backward).
 *
 * <p>Each kernel is a TorchScript module written here as an archive in memory ({@code data.pkl}:
 * the module object, {@code code/__torch__.py}: its source, {@code constants.pkl}, {@code version};
 * the layout of {@code torch.jit.save}) and loaded with DJL's {@code JniUtils.loadModule}; calls go
 * through {@code IValueUtils.forward} with autograd on, so the operators record their backward like
 * any DJL op. Same functions as {@link DitModel#geluTanh(NDArray, NDArray)} and the rotary
 * attention of the reference ([SD] models/dit.py {@code DDiTBlock}; spec §7), equal up to float32
 * rounding (fused kernels round differently), deterministic per thread count.
 *
 * <p>The model's blocks run as one {@link BlockKernel} call each; these two kernels are the pieces
 * of the DJL formulation of a block ({@link DitModel#setReferenceBlocks}), the reference that
 * {@code BlockKernelTest} checks the whole-block kernel against.
 *
 * <p>Owned by a model: {@link #close()} frees the modules. Thread-safe (TorchScript methods are).
 */
final class FusedKernels implements AutoCloseable {
  /** GELU, tanh approximation (Hendrycks &amp; Gimpel): one input, same shape out. */
  static final String GELU_SOURCE =
      "class Gelu(Module):\n"
          + "  __parameters__ = []\n"
          + "  __buffers__ = []\n"
          + "  training : bool\n"
          + "  def forward(self: __torch__.Gelu,\n"
          + "    x: Tensor) -> Tensor:\n"
          + "    return torch.gelu(x, approximate=\"tanh\")\n";

  /**
   * Rotary attention: qkv [B, L, 3, H, d_h] → split into (q, k) and v by views (backward: one cat),
   * rotary x·cos + swap(x)·sin on q and k together (swap = NeoX halves exchanged; the q table
   * carries 1/√d_h), SDPA with scale 1 and the additive bias when it has elements, output [B, L,
   * H·d_h].
   */
  static final String ATTENTION_SOURCE =
      "class Attention(Module):\n"
          + "  __parameters__ = []\n"
          + "  __buffers__ = []\n"
          + "  training : bool\n"
          + "  def forward(self: __torch__.Attention,\n"
          + "    qkv: Tensor,\n"
          + "    cos: Tensor,\n"
          + "    sin: Tensor,\n"
          + "    bias: Tensor) -> Tensor:\n"
          + "    b = torch.size(qkv, 0)\n"
          + "    n = torch.size(qkv, 1)\n"
          + "    parts = torch.split_with_sizes(qkv, [2, 1], 2)\n"
          + "    qk = torch.permute(parts[0], [2, 0, 3, 1, 4])\n"
          + "    halves = torch.chunk(qk, 2, -1)\n"
          + "    swapped = torch.cat([halves[1], halves[0]], -1)\n"
          + "    rot = torch.add(torch.mul(qk, cos), torch.mul(swapped, sin))\n"
          + "    q, k = torch.unbind(rot, 0)\n"
          + "    v = torch.transpose(torch.squeeze(parts[1], 2), 1, 2)\n"
          + "    if torch.numel(bias) > 0:\n"
          + "      out = torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=1.)\n"
          + "    else:\n"
          + "      out = torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=1.)\n"
          + "    return torch.reshape(torch.transpose(out, 1, 2), [b, n, -1])\n";

  private final NDManager manager;
  private final PtSymbolBlock gelu;
  private final PtSymbolBlock attention;
  private final NDArray noBias;

  /**
   * @param owner the manager whose sub-manager holds the modules (closed with it or by {@link
   *     #close()})
   */
  FusedKernels(NDManager owner) {
    this.manager = owner.newSubManager();
    this.gelu = load("Gelu", GELU_SOURCE);
    this.attention = load("Attention", ATTENTION_SOURCE);
    this.noBias = manager.zeros(new ai.djl.ndarray.types.Shape(0));
  }

  /** GELU (tanh) of {@code x}, any shape, float32; the result attaches to {@code x}'s manager. */
  NDArray gelu(NDArray x) {
    return IValueUtils.forward(gelu, new NDList(x), true).singletonOrThrow();
  }

  /**
   * Rotary self-attention.
   *
   * @param qkv the fused projection {@code [B, L, 3, H, d_h]} (axis 2 ordered q, k, v)
   * @param rot (cos, [-sin; sin]) tables broadcastable to {@code [2, B, H, L, d_h]}, the q half
   *     scaled by 1/√d_h ({@link AttentionTables})
   * @param bias additive attention bias broadcastable to {@code [B, H, L, L]}, or null for none
   * @return {@code [B, L, H·d_h]} float32, attached to {@code qkv}'s manager
   */
  NDArray attention(NDArray qkv, NDArray[] rot, NDArray bias) {
    NDList in = new NDList(qkv, rot[0], rot[1], bias != null ? bias : noBias);
    return IValueUtils.forward(attention, in, true).singletonOrThrow();
  }

  private PtSymbolBlock load(String className, String source) {
    byte[] archive = archive(className, source);
    try {
      return JniUtils.loadModule(
          (PtNDManager) manager, new ByteArrayInputStream(archive), false, false);
    } catch (IOException e) {
      throw new UncheckedIOException("TorchScript kernel " + className + " did not load", e);
    }
  }

  /** The in-memory TorchScript archive of {@code source}: {@link TorchScriptArchive#of}. */
  static byte[] archive(String className, String source) {
    return TorchScriptArchive.of(className, source);
  }

  /** Frees the modules. */
  @Override
  public void close() {
    gelu.close();
    attention.close();
    manager.close();
  }
}

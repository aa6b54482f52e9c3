package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import dev.dllm.trainer.autograd.TorchScriptArchive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One whole DiT block ([SD] models/dit.py {@code DDiTBlock}; spec §7) as a single TorchScript call,
 * recorded by autograd like any DJL op: adaLN Linear → 6 chunks (views), {@code torch.layer_norm}
 * (no bias), modulate h·(1 + scale) + shift and the gated residuals o·gate + x (each a mul and an
 * in-place add on the fresh product, as the DJL formulation: {@code torch.addcmul} would save a
 * forward pass but its backward multiplies both full-size operands by its scalar {@code value}, two
 * extra passes), QKV Linear, rotary as one complex multiply, {@code scaled_dot_product_attention}
 * (the CPU flash kernel), out Linear, the MLP with tanh GELU. One JNI crossing per block instead of
 * about thirty.
 *
 * <p>Rotary without {@code cat}: the reference rotates NeoX halves, {@code (a, b) → (a·cos − b·sin,
 * b·cos + a·sin)} with a = x[i], b = x[i + d_h/2]. The kernel reads the QKV weight's rows in paired
 * order (a [3d, d] transpose-copy per call: head dim (j, i) → (i, j)), so the projection emits
 * every pair (x[i], x[i + d_h/2]) side by side and the rotation is one complex product (a + ib)(cos
 * + i·sin) on {@code view_as_complex} views. q, k and v carry the same permutation of the head
 * dimension: q·k, hence the attention weights, are unchanged, and the out projection reads its
 * columns in the same paired order, so the output is the reference's (sums run in another order:
 * float32 rounding only). Tables: {@link AttentionTables#pairs(int)} and {@link
 * AttentionTables#pairsAt(NDArray)}.
 *
 * <p>The call runs with TorchScript's graph-executor optimisation off on the calling thread (then
 * back on), so the ops record ordinary eager autograd nodes, the same backward as the DJL ops; with
 * it on, the profiling executor groups them into differentiable subgraphs with TorchScript's own
 * symbolic backward (turned off together with another change; its share was not measured apart).
 *
 * <p>Same function as {@link DitModel}'s DJL formulation up to float32 rounding ({@code
 * BlockKernelTest}: values and every parameter gradient), deterministic per thread count. Dropout
 * (training with dropout &gt; 0) runs inside as {@code torch.dropout} on the default generator, in
 * the reference order (attention output, then MLP output). Owned by a model; thread-safe.
 */
final class BlockKernel implements AutoCloseable {
  /** The block; shapes in the argument comments ([B, L, d] activations, d = H·d_h). */
  static final String SOURCE =
      "class Block(Module):\n"
          + "  __parameters__ = []\n"
          + "  __buffers__ = []\n"
          + "  training : bool\n"
          + "  def forward(self: __torch__.Block,\n"
          + "    x: Tensor,\n" // [B, L, d]
          + "    c: Tensor,\n" // [B, cond]
          + "    norm1: Tensor,\n"
          + "    qkv_w: Tensor,\n" // [3d, d], reference row order
          + "    out_w: Tensor,\n"
          + "    norm2: Tensor,\n"
          + "    mlp0_w: Tensor,\n"
          + "    mlp0_b: Tensor,\n"
          + "    mlp2_w: Tensor,\n"
          + "    mlp2_b: Tensor,\n"
          + "    ada_w: Tensor,\n"
          + "    ada_b: Tensor,\n"
          + "    rot: Tensor,\n" // [.., L, 2, 1, d_h/2, 2] (cos, sin); q half scaled by 1/sqrt(d_h)
          + "    bias: Tensor,\n" // additive attention bias, or no elements for none
          + "    drop: Tensor) -> Tensor:\n" // dropout probability: [] float32, or no elements
          + "    b = torch.size(x, 0)\n"
          + "    n = torch.size(x, 1)\n"
          + "    d = torch.size(x, 2)\n"
          + "    half = torch.size(rot, -2)\n"
          + "    heads = d // (2 * half)\n"
          + "    m = torch.chunk(torch.unsqueeze(torch.linear(c, ada_w, ada_b), 1), 6, -1)\n"
          + "    h = torch.layer_norm(x, [d], norm1, None, 1.0000000000000001e-05)\n"
          + "    h = torch.add_(torch.mul(h, torch.add(m[1], 1.)), m[0])\n"
          // rows (and out_w columns) in paired order: (t, h, j, i) -> (t, h, i, j)
          + "    wqkv = torch.reshape(torch.transpose(torch.view(qkv_w, [3, heads, 2, half, d]),"
          + " 2, 3), [3 * d, d])\n"
          + "    wout = torch.reshape(torch.transpose(torch.view(out_w, [d, heads, 2, half]), 2, 3),"
          + " [d, d])\n"
          + "    qkv = torch.linear(h, wqkv)\n"
          + "    parts = torch.split_with_sizes(torch.view(qkv, [b, n, 3, heads, 2 * half]),"
          + " [2, 1], 2)\n"
          + "    qk = torch.view_as_complex(torch.view(parts[0], [b, n, 2, heads, half, 2]))\n"
          + "    r = torch.view_as_real(torch.mul(qk, torch.view_as_complex(rot)))\n"
          + "    q, k = torch.unbind(torch.view(r, [b, n, 2, heads, 2 * half]), 2)\n"
          + "    q = torch.transpose(q, 1, 2)\n"
          + "    k = torch.transpose(k, 1, 2)\n"
          + "    v = torch.transpose(torch.squeeze(parts[1], 2), 1, 2)\n"
          + "    if torch.numel(bias) > 0:\n"
          + "      a = torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=1.)\n"
          + "    else:\n"
          + "      a = torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=1.)\n"
          + "    o = torch.linear(torch.reshape(torch.transpose(a, 1, 2), [b, n, d]), wout)\n"
          + "    dropout = torch.numel(drop) > 0\n"
          + "    if dropout:\n"
          + "      o = torch.dropout(o, float(drop), True)\n"
          + "    x = torch.add_(torch.mul(o, m[2]), x)\n"
          + "    h = torch.layer_norm(x, [d], norm2, None, 1.0000000000000001e-05)\n"
          + "    h = torch.add_(torch.mul(h, torch.add(m[4], 1.)), m[3])\n"
          + "    h = torch.gelu(torch.linear(h, mlp0_w, mlp0_b), approximate=\"tanh\")\n"
          + "    h = torch.linear(h, mlp2_w, mlp2_b)\n"
          + "    if dropout:\n"
          + "      h = torch.dropout(h, float(drop), True)\n"
          + "    return torch.add_(torch.mul(h, m[5]), x)\n";

  /** DJL's setting for the graph executor (system property, default on), restored after a call. */
  private static final boolean GRAPH_OPTIMIZER =
      Boolean.parseBoolean(System.getProperty("ai.djl.pytorch.graph_optimizer", "true"));

  private final NDManager manager;
  private final PtSymbolBlock block;
  private final NDArray none;

  /**
   * @param owner the manager whose sub-manager holds the module (closed with it or by {@link
   *     #close()})
   */
  BlockKernel(NDManager owner) {
    this.manager = owner.newSubManager();
    try {
      this.block =
          JniUtils.loadModule(
              (PtNDManager) manager,
              new ByteArrayInputStream(TorchScriptArchive.of("Block", SOURCE)),
              false,
              false);
    } catch (IOException e) {
      throw new UncheckedIOException("TorchScript kernel Block did not load", e);
    }
    this.none = manager.zeros(new Shape(0));
  }

  /**
   * One block.
   *
   * @param x residual stream {@code [B, L, d]} float32
   * @param c conditioning {@code [B, cond]}
   * @param w the block's parameters in the order norm1, attn_qkv, attn_out, norm2, mlp.0.weight,
   *     mlp.0.bias, mlp.2.weight, mlp.2.bias, adaLN weight, adaLN bias (reference layouts)
   * @param rot paired rotary table ({@link AttentionTables#pairs}/{@link AttentionTables#pairsAt})
   * @param bias additive attention bias broadcastable to {@code [B, H, L, L]}, or null
   * @param dropout residual dropout probability, or 0 for none
   * @return the new residual stream {@code [B, L, d]}, attached to {@code x}'s manager
   */
  NDArray forward(NDArray x, NDArray c, NDArray[] w, NDArray rot, NDArray bias, float dropout) {
    NDList in = new NDList(5 + w.length);
    in.add(x);
    in.add(c);
    for (NDArray a : w) {
      // IValueUtils.forward turns arrays named "a.b" (the parameters) into dict arguments; an
      // unnamed view (recorded by autograd, no copy) passes the tensor itself. The view belongs to
      // the activations' manager, not to the parameter's (which lives as long as the model).
      if (a.getName() == null) {
        in.add(a);
      } else {
        NDArray view = a.reshape(a.getShape());
        view.attach(x.getManager());
        in.add(view);
      }
    }
    in.add(rot);
    in.add(bias != null ? bias : none);
    in.add(dropout > 0 ? x.getManager().create(dropout) : none);
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.forward(block, in, true).singletonOrThrow();
    } finally {
      JniUtils.setGraphExecutorOptimize(GRAPH_OPTIMIZER);
    }
  }

  /** Frees the module. */
  @Override
  public void close() {
    block.close();
    manager.close();
  }
}

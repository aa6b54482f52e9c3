package dev.dllm.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.api.model.DitWeights;
import dev.dllm.trainer.autograd.ConstantPool;
import java.util.LinkedHashMap;

/**
 * The reference DiT backbone (spec §7; [SD] models/dit.py {@code DiT}) as DJL NDArray operations:
 * token embedding, rotary attention (NeoX halves, base 10000, full head dim), pre-norm blocks with
 * bias-free LayerNorm (eps 1e-5) and adaLN-Zero modulation from a 256-dim sinusoidal embedding of
 * sigma, GELU (tanh) MLP ×4, final LayerNorm + adaLN and an untied output linear with bias.
 *
 * <p>Parameters live in a sub-manager of the manager given at construction and are owned by this
 * model ({@link #close()} frees them); they require gradients. Activations attach to the manager of
 * the input {@code tokens}, so a training step that opens a sub-manager and {@code tempAttach}es
 * the parameters frees everything with that sub-manager. Each block is one TorchScript call ({@link
 * BlockKernel}; the DJL formulation of the same block is kept as its test reference). Rotary tables
 * and causal masks are built once per length and cached ({@link AttentionTables}).
 *
 * <p>Eso-LM hook: {@link #forward(NDArray, NDArray, NDArray, NDArray)} takes an optional per-token
 * rotary position tensor and an optional explicit additive attention bias.
 */
public final class DitModel implements AutoCloseable {
  /** LayerNorm epsilon (PyTorch default). */
  public static final float LN_EPS = 1e-5f;

  /** Additive attention bias of a masked (query, key) pair. */
  public static final float MASK_VALUE = -1e9f;

  /** Rotary base. */
  public static final double ROTARY_BASE = 10000.0;

  private final DitConfig cfg;
  private final NDManager own;
  private final NDManager constants;
  private final ConstantPool scalars;
  private final LinkedHashMap<String, NDArray> params;
  private final BlockParams[] blocks;
  private final NDArray embedding;
  private final NDArray[] sigmaMlp;
  private final NDArray normFinal;
  private final NDArray outW;
  private final NDArray outB;
  private final NDArray finalAdaW;
  private final NDArray finalAdaB;
  private final NDArray zeroBeta;
  private final NDArray sigmaFreqs;
  private final AttentionTables tables;
  private final FusedKernels kernels;
  private final BlockKernel blockKernel;
  private volatile boolean training;
  private volatile boolean reference;

  private record BlockParams(
      NDArray norm1,
      NDArray qkv,
      NDArray attnOut,
      NDArray norm2,
      NDArray mlp0W,
      NDArray mlp0B,
      NDArray mlp2W,
      NDArray mlp2B,
      NDArray adaW,
      NDArray adaB) {
    /** The kernel's argument order ({@link BlockKernel#forward}). */
    NDArray[] asArray() {
      return new NDArray[] {norm1, qkv, attnOut, norm2, mlp0W, mlp0B, mlp2W, mlp2B, adaW, adaB};
    }
  }

  private DitModel(NDManager manager, DitWeights w) {
    this(manager, w, true);
  }

  private DitModel(NDManager manager, DitWeights w, boolean trainable) {
    this.cfg = w.config();
    this.own = manager.newSubManager();
    this.constants = own.newSubManager();
    this.scalars = new ConstantPool(own);
    this.params = DitParameters.create(own, w, trainable);
    embedding = params.get(DitLayout.EMBEDDING);
    sigmaMlp =
        new NDArray[] {
          params.get("sigma_map.mlp.0.weight"),
          params.get("sigma_map.mlp.0.bias"),
          params.get("sigma_map.mlp.2.weight"),
          params.get("sigma_map.mlp.2.bias")
        };
    blocks = new BlockParams[cfg.blocks()];
    for (int i = 0; i < blocks.length; i++) {
      String p = "blocks." + i + ".";
      blocks[i] =
          new BlockParams(
              params.get(p + "norm1.weight"),
              params.get(p + "attn_qkv.weight"),
              params.get(p + "attn_out.weight"),
              params.get(p + "norm2.weight"),
              params.get(p + "mlp.0.weight"),
              params.get(p + "mlp.0.bias"),
              params.get(p + "mlp.2.weight"),
              params.get(p + "mlp.2.bias"),
              params.get(p + "adaLN_modulation.weight"),
              params.get(p + "adaLN_modulation.bias"));
    }
    normFinal = params.get("output_layer.norm_final.weight");
    outW = params.get("output_layer.linear.weight");
    outB = params.get("output_layer.linear.bias");
    finalAdaW = params.get("output_layer.adaLN_modulation.weight");
    finalAdaB = params.get("output_layer.adaLN_modulation.bias");
    zeroBeta = constants.zeros(new Shape(cfg.hidden()));
    int half = DitConfig.FREQUENCY_EMBEDDING / 2;
    float[] freqs = new float[half];
    for (int k = 0; k < half; k++) {
      freqs[k] = (float) Math.exp(-Math.log(10000.0) * k / half);
    }
    sigmaFreqs = constants.create(freqs, new Shape(1, half));
    tables = new AttentionTables(cfg.headDim(), constants, scalars);
    kernels = new FusedKernels(own);
    blockKernel = new BlockKernel(own);
    this.training = false;
  }

  /**
   * A model with the reference initialisation (spec §7: zero adaLN and output layer,
   * kaiming/linear-default inits), drawn from {@code seed} in Java (see {@link DitInit}).
   */
  public static DitModel create(NDManager manager, DitConfig cfg, long seed) {
    return new DitModel(manager, DitInit.reference(cfg, seed));
  }

  /**
   * A model holding copies of {@code w}.
   *
   * @throws InvalidInputException naming the tensor when one is missing, unexpected or misshaped
   */
  public static DitModel fromWeights(NDManager manager, DitWeights w) {
    return new DitModel(manager, w);
  }

  /**
   * A frozen copy of {@code w} (a distillation teacher): its parameters record no gradient, so its
   * forward inside a gradient collector builds no graph.
   */
  public static DitModel frozen(NDManager manager, DitWeights w) {
    return new DitModel(manager, w, false);
  }

  /** The backbone shape. */
  public DitConfig config() {
    return cfg;
  }

  /** Residual dropout on ({@code true}) or off; off by default. */
  public void setTraining(boolean training) {
    this.training = training;
  }

  /**
   * Test seam: {@code true} runs the blocks as the DJL formulation (DJL ops with the GELU and
   * rotary attention kernels of {@link FusedKernels}) instead of one {@link BlockKernel} call per
   * block; the two agree up to float32 rounding.
   */
  void setReferenceBlocks(boolean reference) {
    this.reference = reference;
  }

  /** Whether residual dropout is active. */
  public boolean isTraining() {
    return training;
  }

  /**
   * The parameters under their reference names (canonical order of {@link DitLayout#shapes}), with
   * gradients attached. The map is live: these are the arrays the forward uses.
   */
  public LinkedHashMap<String, NDArray> parameters() {
    return params;
  }

  /** A float32 copy of the current parameters. */
  public DitWeights toWeights() {
    return DitParameters.toWeights(cfg, params);
  }

  /** Copies {@code w} into the parameters in place (same names and shapes as this model). */
  public void loadWeights(DitWeights w) {
    DitParameters.load(params, w);
  }

  /**
   * An autograd-safe float32 scalar owned by this model (see {@link ConstantPool}): use it, never a
   * {@code Number} overload, to multiply, divide or exponentiate arrays on the gradient path.
   */
  public NDArray constant(double value) {
    return scalars.of(value);
  }

  /** A new sub-manager of the model's own manager (for callers that need a scratch manager). */
  public NDManager newSubManager() {
    return own.newSubManager();
  }

  /**
   * Logits of the backbone with the attention pattern of {@link DitConfig#attention()} and rotary
   * positions 0..L-1.
   *
   * @param tokens token ids {@code [B, L]} int64 (int32 accepted)
   * @param sigma time conditioning {@code [B]} float32; null means zeros
   * @return logits {@code [B, L, V]} float32, attached to {@code tokens}' manager
   */
  public NDArray forward(NDArray tokens, NDArray sigma) {
    return forward(tokens, sigma, null, null);
  }

  /**
   * Logits with explicit positions and attention (Eso-LM, spec §4.2–4.3).
   *
   * @param tokens token ids {@code [B, L]} int64 (int32 accepted)
   * @param sigma time conditioning {@code [B]} float32; null means zeros
   * @param positions rotary position of every token {@code [B, L]} int64, or null for 0..L-1
   * @param attnBias additive attention bias broadcastable to {@code [B, H, L, L]} (0 = attend,
   *     {@link #MASK_VALUE} = blocked; query index on axis -2), or null for the pattern of {@link
   *     DitConfig#attention()} (bidirectional, or causal for CAUSAL and SORTED_CAUSAL)
   * @return logits {@code [B, L, V]} float32, attached to {@code tokens}' manager
   */
  public NDArray forward(NDArray tokens, NDArray sigma, NDArray positions, NDArray attnBias) {
    Shape s = tokens.getShape();
    if (s.dimension() != 2) {
      throw new IllegalArgumentException("tokens must be [B, L], got " + s);
    }
    NDArray x = Embedding.embedding(tokens, embedding, SparseFormat.DENSE).get(0);
    return forwardEmbedded(x, sigma, positions, attnBias);
  }

  /**
   * Logits for a soft input (Duo curriculum, spec §7.1, §3.5): the token embedding is
   * softmax(weights)·E over the vocabulary, in float32.
   *
   * @param weights unnormalised input weights {@code [B, L, V]} float32
   * @param sigma time conditioning {@code [B]} float32; null means zeros
   * @return logits {@code [B, L, V]} float32, attached to {@code weights}' manager
   */
  public NDArray forwardSoft(NDArray weights, NDArray sigma) {
    Shape s = weights.getShape();
    if (s.dimension() != 3 || s.get(2) != cfg.vocabSize()) {
      throw new IllegalArgumentException(
          "soft input must be [B, L, " + cfg.vocabSize() + "], got " + s);
    }
    return forwardEmbedded(weights.softmax(-1).matMul(embedding), sigma, null, null);
  }

  /**
   * Logits from already-embedded inputs (everything after the token embedding).
   *
   * @param x input embeddings {@code [B, L, d]} float32
   * @param sigma {@code [B]} float32 or null (zeros)
   * @param positions rotary positions {@code [B, L]} or null
   * @param attnBias additive attention bias or null (see {@link #forward(NDArray, NDArray, NDArray,
   *     NDArray)})
   * @return logits {@code [B, L, V]} float32, attached to {@code x}' manager
   */
  public NDArray forwardEmbedded(NDArray x, NDArray sigma, NDArray positions, NDArray attnBias) {
    Shape s = x.getShape();
    if (s.dimension() != 3 || s.get(2) != cfg.hidden()) {
      throw new IllegalArgumentException(
          "embeddings must be [B, L, " + cfg.hidden() + "], got " + s);
    }
    long b = s.get(0);
    int len = Math.toIntExact(s.get(1));
    NDArray c = condition(sigma != null ? sigma : x.getManager().zeros(new Shape(b)), b);
    NDArray bias = attnBias;
    if (bias == null && cfg.attention() != BackboneSpec.Attention.BIDIRECTIONAL) {
      bias = tables.causalMask(len);
    }
    if (reference) {
      NDArray[] rot = positions == null ? tables.rotary(len) : tables.rotaryAt(positions);
      for (BlockParams blk : blocks) {
        x = block(blk, x, c, rot, bias, b, len);
      }
    } else {
      NDArray pairs = positions == null ? tables.pairs(len) : tables.pairsAt(positions);
      float p = training && cfg.dropout() > 0 ? (float) cfg.dropout() : 0f;
      for (BlockParams blk : blocks) {
        x = blockKernel.forward(x, c, blk.asArray(), pairs, bias, p);
      }
    }
    NDList mod = Linear.linear(c, finalAdaW, finalAdaB).get(0).expandDims(1).split(2, 2);
    NDArray h = modulate(layerNorm(x, normFinal), mod.get(0), mod.get(1));
    return Linear.linear(h, outW, outB).get(0);
  }

  /** The DJL formulation of one block (the reference of {@link BlockKernel}). */
  private NDArray block(
      BlockParams p, NDArray x, NDArray c, NDArray[] rot, NDArray bias, long b, int len) {
    int heads = cfg.heads();
    int dh = cfg.headDim();
    // (shift1, scale1, gate1, shift2, scale2, gate2), each [B, 1, d]
    NDList m = Linear.linear(c, p.adaW(), p.adaB()).get(0).expandDims(1).split(6, 2);
    NDArray h = modulate(layerNorm(x, p.norm1()), m.get(0), m.get(1));
    // qkv [B, L, 3d] -> [B, L, 3, H, dh] (the 3d axis is ordered (three, head, dh)); rotary,
    // softmax(q·k^T + bias)·v and the head merge run as one TorchScript call
    NDArray qkv = Linear.linear(h, p.qkv()).get(0).reshape(b, len, 3, heads, dh);
    NDArray attn = kernels.attention(qkv, rot, bias);
    NDArray o = Linear.linear(attn, p.attnOut()).get(0);
    x = dropout(o).mul(m.get(2)).addi(x);
    h = modulate(layerNorm(x, p.norm2()), m.get(3), m.get(4));
    h = Linear.linear(h, p.mlp0W(), p.mlp0B()).get(0);
    h = kernels.gelu(h);
    h = Linear.linear(h, p.mlp2W(), p.mlp2B()).get(0);
    return dropout(h).mul(m.get(5)).addi(x);
  }

  /** c = SiLU(MLP(sinusoid(sigma))), [B, cond]. */
  private NDArray condition(NDArray sigma, long b) {
    NDArray args = sigma.toType(DataType.FLOAT32, false).reshape(b, 1).mul(sigmaFreqs);
    NDArray emb = args.cos().concat(args.sin(), 1);
    NDArray h = Linear.linear(emb, sigmaMlp[0], sigmaMlp[1]).get(0);
    h = silu(h);
    h = Linear.linear(h, sigmaMlp[2], sigmaMlp[3]).get(0);
    return silu(h);
  }

  private NDArray layerNorm(NDArray x, NDArray weight) {
    return LayerNorm.layerNorm(x, new Shape(cfg.hidden()), weight, zeroBeta, LN_EPS).get(0);
  }

  /** x·(1 + scale) + shift; the add is in place on the fresh product. */
  private static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
    return x.mul(scale.add(1f)).addi(shift);
  }

  private static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  private NDArray dropout(NDArray x) {
    if (!training || cfg.dropout() <= 0) {
      return x;
    }
    return Dropout.dropout(x, (float) cfg.dropout(), true).get(0);
  }

  /**
   * cos and [-sin; sin] of the angles p·inv_freq (duplicated halves), inv_freq_k = 10000^(-2k/d_h),
   * computed in float64 and rounded to float32; each {@code [n, d_h]} row-major.
   */
  public static float[][] rotaryTables(int n, int dh) {
    return AttentionTables.rotaryTables(n, dh);
  }

  /** Frees the parameters, cached constants and kernels. */
  @Override
  public void close() {
    blockKernel.close();
    kernels.close();
    own.close();
  }
}

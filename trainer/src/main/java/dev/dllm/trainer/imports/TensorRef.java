package dev.dllm.trainer.imports;

import java.util.Arrays;

/**
 * A tensor named in a pickled {@code state_dict}, not yet read: its storage (the zip entry {@code
 * data/KEY} of a {@code torch.save} archive), the element offset into it, its size and stride (in
 * elements), as {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)} gives
 * them. {@link TorchZip#read} turns it into float32.
 *
 * @param storage the storage it views
 * @param offset first element, in elements of the storage dtype
 * @param size dimensions
 * @param stride element stride per dimension
 */
public record TensorRef(Storage storage, long offset, long[] size, long[] stride) {

  /**
   * A storage of a {@code torch.save} archive.
   *
   * @param key the entry name under {@code data/}
   * @param dtype safetensors-style dtype ({@code F32}, {@code F16}, {@code BF16}, {@code F64},
   *     {@code I64}, ...)
   * @param numel number of elements
   */
  public record Storage(String key, String dtype, long numel) {}

  /** Dimensions as ints (every dimension of a DiT tensor fits). */
  public int[] shape() {
    int[] s = new int[size.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.toIntExact(size[i]);
    }
    return s;
  }

  /** Number of elements. */
  public long numel() {
    long n = 1;
    for (long d : size) {
      n *= d;
    }
    return n;
  }

  @Override
  public String toString() {
    return "tensor " + storage.dtype() + Arrays.toString(size);
  }
}

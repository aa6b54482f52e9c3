package dev.dllm.trainer.imports;

/**
 * Maps a published tensor name onto the reference DiT names of {@link
 * dev.dllm.api.model.DitLayout}: the wrappers the releases add are stripped ({@code backbone.} of
 * the Lightning module and of the Hugging Face {@code MDLM} class, {@code _orig_mod.} of {@code
 * torch.compile}, {@code module.} of DDP), and non-parameter buffers are recognised.
 */
public final class WeightNames {
  private WeightNames() {}

  private static final String[] PREFIXES = {"backbone.", "_orig_mod.", "module."};

  /** {@code name} without the wrapper prefixes. */
  public static String canonical(String name) {
    String n = name;
    for (boolean again = true; again; ) {
      again = false;
      for (String p : PREFIXES) {
        if (n.startsWith(p)) {
          n = n.substring(p.length());
          again = true;
        }
      }
    }
    return n;
  }

  /**
   * Whether {@code name} is a buffer the reference keeps in its state_dict but our graph computes
   * itself: the rotary {@code inv_freq} (spec §7: base 10000, recomputed by the exporter).
   */
  public static boolean isBuffer(String name) {
    return name.endsWith("rotary_emb.inv_freq") || name.endsWith(".inv_freq");
  }
}

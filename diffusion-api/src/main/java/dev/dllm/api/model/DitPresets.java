package dev.dllm.api.model;

import dev.dllm.api.InvalidInputException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named DiT shapes: CPU presets {@code xxs} (d 64, 2 blocks, 2 heads), {@code xs} (128, 4, 4),
 * {@code s} (256, 6, 4), {@code m} (384, 8, 6); the IsoFLOP ladder between and below them, named by
 * width: {@code d8}, {@code d12}, {@code d16}, {@code d24}, {@code d32} (all 2 blocks, 2 heads),
 * {@code d48} (48, 2, 2), {@code d96} (96, 3, 3), {@code d192} (192, 5, 4), {@code d320} (320, 7,
 * 5), so that laptop budgets of 1e11–1e13 FLOPs have at least four sizes around their optimum
 * (issue 10); and the paper's model ladder {@code 6M} … {@code 2121M} plus {@code tiny}, {@code
 * base}, {@code small}, {@code medium} (spec §7.6, [SD] configs/model/*.yaml). All use cond_dim 128
 * and dropout 0 (the paper's training scripts).
 */
public final class DitPresets {
  private DitPresets() {}

  /** cond_dim of every preset. */
  public static final int COND_DIM = 128;

  /** Name to (d, blocks, heads), in ladder order. */
  private static final Map<String, int[]> SHAPES = shapes();

  private static Map<String, int[]> shapes() {
    Map<String, int[]> m = new LinkedHashMap<>();
    m.put("d8", new int[] {8, 2, 2});
    m.put("d12", new int[] {12, 2, 2});
    m.put("d16", new int[] {16, 2, 2});
    m.put("d24", new int[] {24, 2, 2});
    m.put("d32", new int[] {32, 2, 2});
    m.put("d48", new int[] {48, 2, 2});
    m.put("xxs", new int[] {64, 2, 2});
    m.put("d96", new int[] {96, 3, 3});
    m.put("xs", new int[] {128, 4, 4});
    m.put("d192", new int[] {192, 5, 4});
    m.put("s", new int[] {256, 6, 4});
    m.put("d320", new int[] {320, 7, 5});
    m.put("m", new int[] {384, 8, 6});
    m.put("tiny", new int[] {256, 8, 8});
    m.put("base", new int[] {384, 6, 6});
    m.put("small", new int[] {768, 12, 12});
    m.put("medium", new int[] {1024, 24, 16});
    m.put("6M", new int[] {256, 6, 4});
    m.put("19M", new int[] {384, 8, 6});
    m.put("34M", new int[] {512, 8, 8});
    m.put("48M", new int[] {576, 9, 9});
    m.put("66M", new int[] {640, 10, 10});
    m.put("75M", new int[] {640, 16, 8});
    m.put("85M", new int[] {640, 13, 10});
    m.put("113M", new int[] {768, 12, 12});
    m.put("142M", new int[] {768, 15, 12});
    m.put("170M", new int[] {768, 18, 12});
    m.put("180M", new int[] {896, 14, 14});
    m.put("206M", new int[] {896, 16, 14});
    m.put("231M", new int[] {896, 18, 14});
    m.put("268M", new int[] {1024, 16, 16});
    m.put("302M", new int[] {1024, 18, 16});
    m.put("336M", new int[] {1024, 20, 16});
    m.put("472M", new int[] {1280, 18, 10});
    m.put("551M", new int[] {1280, 21, 10});
    m.put("571M", new int[] {1408, 18, 11});
    m.put("629M", new int[] {1280, 24, 10});
    m.put("666M", new int[] {1408, 21, 11});
    m.put("717M", new int[] {1536, 19, 12});
    m.put("761M", new int[] {1408, 24, 11});
    m.put("831M", new int[] {1536, 22, 12});
    m.put("944M", new int[] {1536, 25, 12});
    m.put("1028M", new int[] {1792, 20, 14});
    m.put("1233M", new int[] {1792, 24, 14});
    m.put("1476M", new int[] {2048, 22, 16});
    m.put("1678M", new int[] {2048, 25, 16});
    m.put("2121M", new int[] {2176, 28, 17});
    return Collections.unmodifiableMap(m);
  }

  /** The preset names, CPU presets first, then the paper's configs in ladder order. */
  public static Set<String> names() {
    return SHAPES.keySet();
  }

  /** Whether {@code name} is a preset. */
  public static boolean exists(String name) {
    return SHAPES.containsKey(name);
  }

  /**
   * The preset {@code name} for a vocabulary of {@code vocab} ids (mask included).
   *
   * @throws InvalidInputException for an unknown name, listing the known ones
   */
  public static DitConfig preset(String name, int vocab, BackboneSpec.Attention attention) {
    int[] s = SHAPES.get(name);
    if (s == null) {
      throw new InvalidInputException(
          "unknown model preset '" + name + "'; expected one of " + String.join(", ", names()));
    }
    return new DitConfig(vocab, s[0], s[1], s[2], COND_DIM, attention, 0.0);
  }
}

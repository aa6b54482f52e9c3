package dev.dllm.trainer;

import java.util.Locale;

/**
 * Losses as printed in progress and summary lines: four decimals ({@code %.4f}, Locale.ROOT), a
 * value that rounds to zero without a minus sign (a distillation KL of -3e-6 from float rounding
 * prints {@code 0.0000}, not {@code -0.0000}). Reports (JSON) keep the exact value.
 */
public final class LossFormat {
  private LossFormat() {}

  /**
   * {@code v} with four decimals; "-0.0000" becomes "0.0000"; NaN and infinities as {@code %.4f}
   * prints them.
   */
  public static String fourPlaces(double v) {
    String s = String.format(Locale.ROOT, "%.4f", v);
    return s.equals("-0.0000") ? "0.0000" : s;
  }
}

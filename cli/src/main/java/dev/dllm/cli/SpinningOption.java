package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.OrtConfig;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

/**
 * {@code --spinning on|off}: whether ONNX Runtime's idle intra-op threads spin-wait ({@link
 * OrtConfig#spinning()}; default {@code off}, {@link OrtConfig#DEFAULT_SPINNING}).
 */
public final class SpinningOption {
  private SpinningOption() {}

  /** The option, with its help. */
  public static Option option() {
    return CliOptions.opt(
        "spinning",
        "on|off",
        "ONNX Runtime intra-op threads spin-wait between parallel sections (default "
            + (OrtConfig.DEFAULT_SPINNING ? "on" : "off")
            + "; off is faster on a shared machine)");
  }

  /**
   * {@code --spinning} applied to {@code ort} ({@code ort} itself when the option is absent).
   *
   * @throws InvalidInputException naming {@code --spinning} when the value is not on or off
   */
  public static OrtConfig apply(CommandLine cmd, OrtConfig ort) {
    String v = cmd.getOptionValue("spinning");
    if (v == null) {
      return ort;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "on", "true", "1" -> ort.withSpinning(true);
      case "off", "false", "0" -> ort.withSpinning(false);
      default -> throw new InvalidInputException("--spinning '" + v + "': expected on or off");
    };
  }
}

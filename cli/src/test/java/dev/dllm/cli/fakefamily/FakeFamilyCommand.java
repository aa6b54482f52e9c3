package dev.dllm.cli.fakefamily;

import dev.dllm.api.FamilyCommand;
import dev.dllm.api.OptionValues;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * A fifth family's own command, {@code dllm fake5-echo --times N}, registered only in the test
 * resources' {@code META-INF/services/dev.dllm.api.FamilyCommand}: how a family module adds a
 * command without editing cli.
 */
public final class FakeFamilyCommand implements FamilyCommand {
  /** The fake family's name. */
  public static final String FAMILY = "fake5";

  @Override
  public String family() {
    return FAMILY;
  }

  @Override
  public String name() {
    return "fake5-echo";
  }

  @Override
  public String summary() {
    return "prints 'echo' N times (a test family's command)";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(OptionSpec.value("times", "N", "how often (default 1)"));
  }

  @Override
  public int run(Map<String, String> options, PrintStream out) {
    int n = OptionValues.intOption(options, "times", 1, 1);
    for (int i = 0; i < n; i++) {
      out.println("echo");
    }
    return 0;
  }
}

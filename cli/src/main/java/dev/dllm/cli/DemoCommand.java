package dev.dllm.cli;

import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm demo}: the main job at laptop scale on the bundled Tiny Shakespeare corpus. It grows
 * with the project: tokenize, train AR and MDLM, export, sample, evaluate.
 */
public final class DemoCommand implements Command {
  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "the main job at laptop scale on the bundled Tiny Shakespeare corpus";
  }

  @Override
  public Options options() {
    return new Options();
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    out.println("dllm demo: registered families: " + dev.dllm.api.FamilyRegistry.load().names());
    return 0;
  }
}

package dev.dllm.cli;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** {@code dllm families}: the families registered through ServiceLoader. */
public final class FamiliesCommand implements Command {
  @Override
  public String name() {
    return "families";
  }

  @Override
  public String summary() {
    return "list the registered model families (plugins found by ServiceLoader)";
  }

  @Override
  public Options options() {
    return new Options();
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    FamilyRegistry registry = FamilyRegistry.load();
    if (registry.names().isEmpty()) {
      out.println("no families registered");
    }
    for (String name : registry.names()) {
      DiffusionFamily f = registry.get(name);
      out.printf(
          "%-6s %-14s %s%n",
          name,
          f.backbone().attention().name().toLowerCase(java.util.Locale.ROOT),
          f.description());
    }
    return 0;
  }
}
